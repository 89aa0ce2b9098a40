"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts, can refuse mail
like a busy or strict server, and can go down and up; and a free port to run a server on.
The `smtp_server` fixture (tests/conftest.py) starts one per test."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from dataclasses import dataclass, field
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from workflow.notifications.outbox import SmtpConfig


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


@dataclass
class MailSink:
    """aiosmtpd handler: keeps every accepted message; can refuse the next N with 451
    (busy, try later) and some mailboxes with 550 (no such user)."""

    received: list[Received] = field(default_factory=list)
    refuse_next: int = 0
    unknown: set[str] = field(default_factory=set)  # mailboxes answered with 550
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.unknown:
            return "550 5.1.1 Không có hộp thư này"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 Hộp thư tạm thời bận, thử lại sau"
            message = email.message_from_bytes(envelope.content, policy=default_policy)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(r.message["Message-ID"]) for r in self.received]


class SmtpServer:
    """An aiosmtpd Controller on 127.0.0.1 and a free port, which can go down and up."""

    def __init__(self) -> None:
        self.sink = MailSink()
        self.port = free_port()
        self.controller: Controller | None = None
        self.config = SmtpConfig("127.0.0.1", self.port, "tdkt@so-noi-vu.example")
        self.url = f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port,
                                     loop=asyncio.new_event_loop())
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
