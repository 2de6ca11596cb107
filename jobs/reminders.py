"""send-reminders: the daily check-in reminders and weekly diary summaries patients chose.

Every ``[mail] reminder_every_minutes`` the scheduler asks which reminders are due (their
local time today has passed, in each patient's own timezone, by at most
``reminder_catch_up_hours``) and not yet claimed. Nothing due, or no ``[mail]``: no run is
logged. Otherwise each reminder is claimed in ``sent_messages`` (one atomic insert, committed
before anything is sent), composed, sent, and its outcome recorded: ``sent``; ``skipped``
when there is nothing to remind of (today already has an entry, or no day of the last four
weeks is missing); ``failed`` when the SMTP server refused it (tried again at the next look,
up to ``max_send_attempts``). A process killed while sending leaves its claim ``sending``,
which is never tried again: a reminder is sent at most once.

Run counts: ``cells_done`` = reminders handled (sent or skipped), ``cells_failed`` = refused,
``rows_written`` = messages sent.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from jobs.context import JobContext, current
from jobs.names import SEND_REMINDERS
from tracker.mail import MailSettings, build_message, connect, instance_secret
from tracker.mail_text import daily_reminder, unsubscribe_url, weekly_summary
from tracker.models import User
from tracker.reminders import Due, claim, day_has_entry, due_reminders, settle, unrecorded_days
from tracker.settings import Settings

if TYPE_CHECKING:
    from jobs.tasks import RunResult

log = logging.getLogger("migraine_weather.jobs")


def link_secret(settings: Settings, instance: Path | None = None) -> str | None:
    """The web app's secret key (SECRET_KEY, else the one it keeps in ``instance/``), which
    signs the unsubscribe links; None if neither exists yet."""
    return settings.web.secret_key or instance_secret(instance or Path.cwd() / "instance")


def compose(session: Session, due: Due, mail: MailSettings,
            secret: str) -> EmailMessage | None:
    """Return the reminder's message, or None when there is nothing to remind of."""
    patient = session.get(User, due.patient_id)
    if patient is None or not patient.is_active:
        return None
    link = unsubscribe_url(mail, secret, patient.id, due.kind)
    if due.kind == "daily":
        if day_has_entry(session, patient, due.local_day):
            return None
        content = daily_reminder(mail, patient.name, due.local_day, link)
    else:
        days = unrecorded_days(session, patient, due.local_day)
        if not days:
            return None
        content = weekly_summary(mail, patient.name, days, link)
    return build_message(mail, patient.email, content, unsubscribe_url=link)


class _Connection:
    """One SMTP connection for a run, opened on first use and again after a failure."""

    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        """Send ``message``; on any error close the connection (the next send reconnects)."""
        try:
            if self.smtp is None:
                self.smtp = connect(self.mail)
            self.smtp.send_message(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:  # already gone
                smtp.close()


def _one(ctx: JobContext, conn: _Connection, due: Due, secret: str,
         now: datetime) -> tuple[str, str | None]:
    """Claim, compose, send and record one reminder; return what became of it (and the
    error of a failure)."""
    from jobs.tasks import kv

    mail = ctx.settings.mail
    with ctx.session_factory.begin() as session:
        if not claim(session, due, now, mail.max_send_attempts):
            return "taken", None
    try:
        with ctx.reader() as session:
            message = compose(session, due, mail, secret)
        if message is not None:
            conn.send(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        with ctx.session_factory.begin() as session:
            settle(session, due, "failed", now, error)
        log.warning(kv(event="reminder_failed", job=SEND_REMINDERS, patient=due.patient_id,
                       kind=due.kind, error=error))
        return "failed", error
    status = "skipped" if message is None else "sent"
    with ctx.session_factory.begin() as session:
        settle(session, due, status, now)
    return status, None


def due_now(ctx: JobContext, now: datetime) -> list[Due]:
    """The reminders due at ``now`` (none without ``[mail]``)."""
    mail = ctx.settings.mail
    if not mail.enabled:
        return []
    with ctx.reader() as session:
        return due_reminders(session, now, timedelta(hours=mail.reminder_catch_up_hours))


def send_reminders(ctx: JobContext, now: datetime) -> RunResult:
    """Send every due reminder once (see the module's docstring for the counts)."""
    from jobs.tasks import RunResult, _settle

    result = RunResult(SEND_REMINDERS)
    secret = link_secret(ctx.settings)
    due = due_now(ctx, now)
    if due and secret is None:
        result.cells_failed = len(due)
        result.errors.append("no secret key to sign the unsubscribe links: set SECRET_KEY "
                             "(the web app's) for the scheduler too")
        _settle(result)
        return result
    conn = _Connection(ctx.settings.mail)
    try:
        for item in due:
            if ctx.stop.is_set():
                result.errors.append("stopped before every due reminder was sent")
                break
            outcome, error = _one(ctx, conn, item, secret or "", now)
            result.cells_done += outcome in ("sent", "skipped")
            result.cells_failed += outcome == "failed"
            result.rows_written += outcome == "sent"
            if outcome == "failed":
                result.errors.append(f"patient {item.patient_id} {item.kind}: {error}")
    finally:
        conn.close()
    _settle(result)
    return result


def scheduled_send_reminders() -> None:
    """Scheduler entry: log a run only when a reminder is due."""
    from jobs.tasks import run_job

    ctx = current()
    now = datetime.now(UTC)
    if due_now(ctx, now):
        run_job(ctx, SEND_REMINDERS, now)
