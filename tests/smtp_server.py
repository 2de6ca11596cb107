"""A real SMTP server in the test process (aiosmtpd): it keeps every message it accepts, and
can refuse the next few, to test the sender and the jobs end to end."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tracker.mail import MailSettings


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """An aiosmtpd handler and controller: ``messages`` holds what was accepted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_next = 0
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd
        """Accept (and keep) the message, or refuse it while ``refuse_next`` > 0."""
        with self._lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 try again later"
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def start(self) -> SmtpSink:
        """Start serving on 127.0.0.1:``port``."""
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.controller.stop()

    def settings(self, **changes: object) -> MailSettings:
        """[mail] settings that send to this server (no TLS, no login)."""
        base = MailSettings(host="127.0.0.1", port=self.port, tls="none",
                            from_address="migraine-weather <diary@example.org>",
                            base_url="https://diary.example.org", timeout_seconds=5.0)
        return dataclasses.replace(base, **changes)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")


def text_part(message: EmailMessage) -> str:
    """Return a message's plain-text body."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_part(message: EmailMessage) -> str:
    """Return a message's HTML body."""
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()
