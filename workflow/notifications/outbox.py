"""Mail delivery from the outbox, after the events' transactions have committed.

Each pass claims a batch of due rows in a short transaction (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite serializes write transactions), marking them `sending` with a lease,
then sends them over one SMTP connection and records what was sent in one short
transaction per batch. A refused connection or a 4xx answer puts the mail back with a growing
delay (an outage only delays mail); a 5xx answer fails it for good. A process killed
between sending and recording leaves a `sending` row whose lease runs out: it is sent
again with the same Message-ID, so the receiving side can tell (SMTP itself cannot
promise exactly once; the window is one batch).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import and_, or_, select, update

from models import MailStatus, OutboxMail
from models.base import utcnow
from models.db import Database

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=15)
MAX_DELAY = timedelta(hours=1)
SMTP_TIMEOUT = 20


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    mail_from: str
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    starttls: bool = False

    @classmethod
    def from_url(cls, url: str, mail_from: str) -> SmtpConfig:
        """`smtp://[user[:password]@]host[:port][?starttls=1]` or `smtps://…`."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"TDKT_SMTP_URL must look like smtp://host:port, not {url!r}")
        secure = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        return cls(parts.hostname, parts.port or (465 if secure else 25), mail_from,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, secure, starttls)


@dataclass(frozen=True)
class MailJob:
    id: int
    to_address: str
    subject: str
    body: str
    message_id: str
    attempts: int


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_outbox(database: Database, smtp: SmtpConfig, now: datetime | None = None,
                   batch: int = 20) -> DeliveryReport:
    """Send every due mail; stop early when the server cannot be reached."""
    now = now or utcnow()
    report = DeliveryReport()
    while jobs := claim(database, now, batch):
        if not send_batch(database, smtp, jobs, now, report):
            break
    return report


def claim(database: Database, now: datetime, limit: int) -> list[MailJob]:
    """Take up to `limit` due mails (or ones whose sender's lease ran out)."""
    due = or_(and_(OutboxMail.status == MailStatus.PENDING, OutboxMail.next_attempt_at <= now),
              and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_until <= now))
    with database.unit_of_work() as session:
        rows = session.scalars(select(OutboxMail).where(due).order_by(OutboxMail.id)
                               .limit(limit).with_for_update(skip_locked=True)).all()
        for row in rows:
            row.status, row.claimed_until = MailStatus.SENDING.value, now + LEASE
            row.attempts += 1
        return [MailJob(r.id, r.to_address, r.subject, r.body, r.message_id, r.attempts)
                for r in rows]


def send_batch(database: Database, smtp: SmtpConfig, jobs: list[MailJob], now: datetime,
               report: DeliveryReport) -> bool:
    """Send the claimed mails over one connection; False when the server is unreachable.
    What was sent is recorded in one transaction at the end of the batch."""
    try:
        client = connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        for job in jobs:
            retry(database, job, f"cannot connect: {exc}", now, report)
        return False
    sent: list[int] = []
    try:
        with client:
            for index, job in enumerate(jobs):
                if not send_one(database, client, smtp, job, now, report, sent):
                    for rest in jobs[index + 1:]:
                        retry(database, rest, "connection lost", now, report)
                    return False
        return True
    finally:
        mark_sent(database, sent, now)
        report.sent += len(sent)


def connect(smtp: SmtpConfig) -> smtplib.SMTP:
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=SMTP_TIMEOUT,
                                               context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT)
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
    if smtp.username:
        client.login(smtp.username, smtp.password or "")
    return client


def send_one(database: Database, client: smtplib.SMTP, smtp: SmtpConfig, job: MailJob,
             now: datetime, report: DeliveryReport, sent: list[int]) -> bool:
    """Send one mail; False when the connection is gone."""
    try:
        client.send_message(message(job, smtp.mail_from, now))
    except (OSError, smtplib.SMTPException) as exc:
        permanent, still_connected = classify(exc)
        if permanent:
            finish(database, job.id, MailStatus.FAILED, now, f"refused for good: {exc}")
            report.failed += 1
        else:
            retry(database, job, f"not sent: {exc}", now, report)
        return still_connected
    sent.append(job.id)
    return True


def classify(exc: Exception) -> tuple[bool, bool]:
    """(refused for good, connection still usable) for a failed send."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500, exc.smtp_code != 421  # 421: the server hangs up
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values()), True
    return False, False


def message(job: MailJob, mail_from: str, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = mail_from, job.to_address, job.subject
    msg["Message-ID"], msg["Date"] = job.message_id, format_datetime(now)
    msg.set_content(job.body, cte="quoted-printable")
    return msg


def retry(database: Database, job: MailJob, error: str, now: datetime,
          report: DeliveryReport) -> None:
    """Put the mail back for a later pass: 1, 2, 4 … minutes, at most an hour."""
    delay = min(timedelta(minutes=2 ** min(job.attempts - 1, 10)), MAX_DELAY)
    log.warning("mail %s to %s not sent (attempt %s): %s", job.id, job.to_address,
                job.attempts, error)
    with database.unit_of_work() as session:
        session.execute(update(OutboxMail).where(
            OutboxMail.id == job.id, OutboxMail.status == MailStatus.SENDING).values(
            status=MailStatus.PENDING.value, next_attempt_at=now + delay,
            claimed_until=None, last_error=error[:2000]))
    report.retried += 1
    report.errors.append(error)


def finish(database: Database, mail_id: int, status: MailStatus, now: datetime,
           error: str | None = None) -> None:
    with database.unit_of_work() as session:
        session.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(
            status=status.value, claimed_until=None, last_error=error))


def mark_sent(database: Database, mail_ids: list[int], now: datetime) -> None:
    if not mail_ids:
        return
    with database.unit_of_work() as session:
        session.execute(update(OutboxMail).where(OutboxMail.id.in_(mail_ids)).values(
            status=MailStatus.SENT.value, claimed_until=None, last_error=None, sent_at=now))
