"""Achievement history: who received which title or award in which year.

Issuing a decision records one row per entry (`record`); rules that ask for consecutive
titles read it back (`titles_for`). A person or collective is recognised across
proposals by a *subject key*:

- ``code:<PERSON_CODE>`` when the nominee carries a personal identification number
  (mã định danh / CCCD, or a collective's own code), upper-cased, spaces removed;
- otherwise ``unit:<unit id>:<kind>:<name>``, the name Unicode-normalised (NFC),
  case-folded and with its whitespace collapsed. Without a code, the same person
  filed by another unit is a different subject: give the code to carry history along.

Rows of a decision that a later decision corrected do not count; the correcting
decision's own rows do.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, insert, or_, select
from sqlalchemy.orm import Session

from models import Achievement, Decision, Nominee, Proposal
from models.membership import among
from workflow.errors import N_, InvalidInput

_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip().casefold()


def subject_key(kind: str, full_name: str, unit_id: int, person_code: str | None) -> str:
    code = _SPACES.sub("", person_code or "").upper()
    if code:
        return f"code:{code}"
    return f"unit:{unit_id}:{kind}:{normalise_name(full_name)}"


def nominee_key(nominee: Nominee) -> str:
    return subject_key(nominee.kind.value, nominee.full_name, nominee.proposal.unit_id,
                       nominee.person_code)


def record(session: Session, decision: Decision, lines: Sequence[Mapping[str, Any]],
           award_year: int) -> int:
    """One history row per line (nominee_id, kind, full_name, award_form_code) of a newly
    issued decision, written in one executemany; returns how many."""
    wanted = [line["nominee_id"] for line in lines if line["nominee_id"]]
    found_rows: Iterable[tuple[int, int, str | None]] = session.execute(
        select(Nominee.id, Proposal.unit_id, Nominee.person_code)
        .join(Proposal, Proposal.id == Nominee.proposal_id)
        .where(among(session, Nominee.id, wanted))) if wanted else []
    nominees = {nid: (unit_id, code) for nid, unit_id, code in found_rows}
    rows = []
    for line in lines:
        found = nominees.get(line["nominee_id"] or 0)
        if found is None:
            continue
        unit_id, person_code = found
        rows.append({
            "subject_key": subject_key(line["kind"], line["full_name"], unit_id, person_code),
            "kind": line["kind"], "full_name": line["full_name"], "unit_id": unit_id,
            "year": award_year, "award_form_code": line["award_form_code"],
            "decision_id": decision.id, "nominee_id": line["nominee_id"]})
    _refuse_twice_listed(rows)
    if rows:
        session.execute(insert(Achievement), rows)
    return len(rows)


def _refuse_twice_listed(rows: list[dict[str, Any]]) -> None:
    """One person, one award form, one decision: the same nominee filed by two proposals
    would otherwise stop the decision at the database with no word on whom."""
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row["subject_key"], row["award_form_code"])
        if key in seen:
            raise InvalidInput(N_("%(name)s có tên hai lần với cùng hình thức %(form)s trong "
                                  "quyết định này; hãy bỏ bớt một hồ sơ khỏi quyết định"),
                               params={"name": row["full_name"], "form": row["award_form_code"]})
        seen.add(key)


def _in_force() -> ColumnElement[bool]:
    """Rows whose decision has not been corrected by a later one."""
    corrected = select(Decision.corrects_id).where(Decision.corrects_id.is_not(None))
    return Achievement.decision_id.not_in(corrected)


@dataclass(frozen=True)
class HistoryLine:
    year: int
    award_form_code: str
    decision_id: int
    decision_number: str
    signed_on: date
    full_name: str


def history_of(session: Session, key: str, nominee_id: int | None = None
               ) -> list[HistoryLine]:
    """The subject's recorded titles and awards, latest year first. With `nominee_id`, the
    rows recorded for that nominee count too, whatever name a correction gave them."""
    who = Achievement.subject_key == key
    if nominee_id is not None:
        who = or_(who, Achievement.nominee_id == nominee_id)
    rows = session.execute(
        select(Achievement, Decision.number, Decision.signed_on)
        .join(Decision, Decision.id == Achievement.decision_id)
        .where(who, _in_force())
        .order_by(Achievement.year.desc(), Achievement.id)
    ).all()
    return [HistoryLine(a.year, a.award_form_code, a.decision_id, number, signed, a.full_name)
            for a, number, signed in rows]


def titles_for(session: Session, nominee: Nominee) -> dict[int, frozenset[str]]:
    """The titles that count for the nominee, per year.

    Recorded history always counts. A title the unit typed in (`prior_titles`, a decision
    made on paper or before tdkt) counts too, unless tdkt itself has recorded that title
    for that person and year: then tdkt's record decides, and a title it recorded and a
    later decision corrected away does not come back by being typed in. Another person's
    record never affects what a nominee typed in.
    """
    key = nominee_key(nominee)
    titles: dict[int, set[str]] = defaultdict(set)
    for line in history_of(session, key, nominee.id):
        titles[line.year].add(line.award_form_code)
    recorded = _ever_recorded(session, key, nominee.id)
    for year, codes in (nominee.prior_titles or {}).items():
        for code in codes:
            if (int(year), code) not in recorded:
                titles[int(year)].add(code)
    return {year: frozenset(codes) for year, codes in titles.items()}


def _ever_recorded(session: Session, key: str, nominee_id: int | None) -> set[tuple[int, str]]:
    """(year, award form) of every row tdkt recorded for the subject, corrected or not."""
    who = Achievement.subject_key == key
    if nominee_id is not None:
        who = or_(who, Achievement.nominee_id == nominee_id)
    return {(year, code) for year, code in session.execute(
        select(Achievement.year, Achievement.award_form_code).where(who))}
