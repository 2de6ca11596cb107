"""Outgoing e-mail: the ``[mail]`` settings, building messages, sending them over SMTP, and
the signed links a message carries.

Sending uses the standard library's :mod:`smtplib` (STARTTLS, implicit TLS or none, optional
login): the operator's own SMTP server does queueing, retries and delivery, so a client
library would add nothing we need. Nothing here reads configuration or opens a database:
the entry points (the web app, the scheduler) pass the settings in.

Links in a message that must work without logging in (unsubscribe) carry an HMAC-SHA256
signature made with a key derived from the app's secret key (``SECRET_KEY``), so the
scheduler can make them without Flask and the web app can check them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from weather.settings import ranged

#: How the connection to the SMTP server is secured.
TLS_MODES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class MailSettings:
    """Outgoing mail for reminders and password resets; an empty ``host`` turns mail off."""

    host: str = ""
    port: int = ranged(587, 1, 65_535)
    #: "starttls" (port 587), "ssl" (implicit TLS, port 465) or "none" (a local relay only).
    tls: str = "starttls"
    user: str = ""
    password: str = ""
    #: The From address, e.g. "migraine-weather <diary@clinic.example.org>".
    from_address: str = ""
    #: The site's public address, for the links in messages, e.g. "https://diary.example.org".
    base_url: str = ""
    timeout_seconds: float = ranged(20.0, 1, 300)
    #: How often the scheduler looks for reminders that are due.
    reminder_every_minutes: int = ranged(5, 1, 60)
    #: A reminder whose local time passed longer ago than this is not sent that day.
    reminder_catch_up_hours: int = ranged(6, 1, 23)
    #: Attempts at a reminder the SMTP server refused before it is given up for that day.
    max_send_attempts: int = ranged(3, 1, 20)
    #: How long a password-reset link works.
    reset_link_minutes: int = ranged(60, 5, 24 * 60)
    #: Password-reset requests per hour for one e-mail address and for one client address.
    reset_requests_per_email: int = ranged(3, 1, 1000)
    reset_requests_per_address: int = ranged(20, 1, 100_000)

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ValueError(f"tls: {self.tls!r} is not one of {', '.join(TLS_MODES)}")
        if not self.host:
            return
        if "@" not in parseaddr(self.from_address)[1]:
            raise ValueError("from_address: an e-mail address is needed when host is set")
        if not self.base_url.startswith(("https://", "http://")):
            raise ValueError("base_url: the site's address (https://...) is needed when host "
                             "is set; links in messages start with it")

    @property
    def enabled(self) -> bool:
        """Whether mail is configured (reminders and password resets are available)."""
        return bool(self.host)

    def link(self, path: str) -> str:
        """Return the absolute URL of a site path (``/reset-password?...``)."""
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class MailContent:
    """A message's subject, plain text and HTML (the same words)."""

    subject: str
    text: str
    html: str


def build_message(
    mail: MailSettings, to: str, content: MailContent, *, unsubscribe_url: str | None = None
) -> EmailMessage:
    """Return the message to ``to``: plain text with an HTML alternative; with an unsubscribe
    URL also the List-Unsubscribe headers of RFC 2369 and RFC 8058 (one click)."""
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = mail.from_address
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(mail.from_address)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message


def connect(mail: MailSettings) -> smtplib.SMTP:
    """Open a connection to the SMTP server (TLS as configured, logged in if a user is set);
    use it as a context manager so it is closed."""
    if not mail.enabled:
        raise RuntimeError("mail is not configured ([mail] host is empty)")
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if mail.tls == "ssl":
        smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=mail.timeout_seconds,
                                context=context)
    else:
        smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_seconds)
    try:
        if mail.tls == "starttls":
            smtp.starttls(context=context)
        if mail.user:
            smtp.login(mail.user, mail.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def send(mail: MailSettings, message: EmailMessage) -> None:
    """Send one message on a connection of its own."""
    with connect(mail) as smtp:
        smtp.send_message(message)


# -- signed links ----------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: str, purpose: str) -> bytes:
    """A key for one purpose only, derived from the app's secret key."""
    return hmac.new(secret.encode("utf-8"), f"migraine-weather/{purpose}".encode(),
                    hashlib.sha256).digest()


def sign(secret: str, purpose: str, payload: str) -> str:
    """Return ``payload`` with its signature for ``purpose``, safe in a URL."""
    if not secret:
        raise ValueError("signing needs the app's secret key")
    mac = hmac.new(_key(secret, purpose), payload.encode("utf-8"), hashlib.sha256).digest()
    return f"{_b64(payload.encode('utf-8'))}.{_b64(mac[:20])}"


def unsign(secret: str, purpose: str, token: str) -> str | None:
    """Return the payload of a token made by :func:`sign` for ``purpose``, or None."""
    if not secret or not isinstance(token, str) or len(token) > 300 or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    try:
        payload = _unb64(body).decode("utf-8")
        given = _unb64(mac)
    except (binascii.Error, ValueError):
        return None
    expected = hmac.new(_key(secret, purpose), payload.encode("utf-8"), hashlib.sha256).digest()
    return payload if hmac.compare_digest(given, expected[:20]) else None


def instance_secret(instance: Path) -> str | None:
    """Return the secret key the web app keeps in ``instance/secret_key`` when SECRET_KEY is
    not set, or None if there is none (the web app creates it on its first start)."""
    try:
        return (instance / "secret_key").read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
