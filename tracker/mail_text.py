"""The words of every e-mail (plain text and the same in simple HTML), and the site paths
their links point to (the web routes are declared with these same constants).

Wording follows the PRT framing of the whole product: reminders are about keeping the diary
complete, in neutral words; they never mention weather, risk or danger, and say that the
service is not medical advice.
"""

from __future__ import annotations

from datetime import date
from html import escape
from urllib.parse import quote

from tracker.diary.day_clash import day_label
from tracker.mail import MailContent, MailSettings, sign, unsign
from tracker.reminder_models import REMINDER_KINDS

#: Site paths used in messages (web/ routes these, with the same constants).
CHECKINS_PATH = "/checkins"
ATTACKS_PATH = "/attacks"
REMINDER_SETTINGS_PATH = "/settings/reminders"
UNSUBSCRIBE_PATH = "/reminders/unsubscribe"
RESET_PATH = "/reset-password"

#: The signature purpose of unsubscribe links (a token for one purpose is refused by another).
UNSUBSCRIBE = "unsubscribe"
FOOTER = "migraine-weather describes your diary. It is not medical advice."


def unsubscribe_token(secret: str, patient_id: int, kind: str) -> str:
    """Return the signed token naming a patient and a kind of reminder."""
    return sign(secret, UNSUBSCRIBE, f"{patient_id}:{kind}")


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str] | None:
    """Return (patient id, kind) of a valid unsubscribe token, or None."""
    payload = unsign(secret, UNSUBSCRIBE, token)
    if payload is None:
        return None
    patient, _, kind = payload.partition(":")
    if not patient.isdigit() or kind not in REMINDER_KINDS:
        return None
    return int(patient), kind


def unsubscribe_url(mail: MailSettings, secret: str, patient_id: int, kind: str) -> str:
    """Return the one-click unsubscribe URL for a reminder kind."""
    token = unsubscribe_token(secret, patient_id, kind)
    return mail.link(f"{UNSUBSCRIBE_PATH}?token={quote(token)}")


def _html(paragraphs: list[str | tuple[str, str]]) -> str:
    """Simple HTML: each item a paragraph of text, or (text, url) a paragraph with a link."""
    parts = []
    for item in paragraphs:
        if isinstance(item, tuple):
            text, url = item
            parts.append(f'<p><a href="{escape(url)}">{escape(text)}</a></p>')
        else:
            parts.append(f"<p>{escape(item)}</p>")
    body = "\n".join(parts)
    return (f'<!doctype html>\n<html lang="en"><body style="font-family: sans-serif; '
            f'line-height: 1.5; max-width: 36em">\n{body}\n</body></html>\n')


def _text(paragraphs: list[str | tuple[str, str]]) -> str:
    lines = [f"{item[0]}:\n{item[1]}" if isinstance(item, tuple) else item
             for item in paragraphs]
    return "\n\n".join(lines) + "\n"


def _content(subject: str, paragraphs: list[str | tuple[str, str]]) -> MailContent:
    return MailContent(subject, _text(paragraphs), _html(paragraphs))


def _greeting(name: str) -> str:
    return f"Hello {name}," if name.strip() else "Hello,"


def _closing(mail: MailSettings, kind: str, unsubscribe: str) -> list[str | tuple[str, str]]:
    what = "daily check-in reminders" if kind == "daily" else "weekly diary summaries"
    return [
        f"You get this e-mail because you turned on {what} in migraine-weather.",
        (f"Stop {what} (one click, no login needed)", unsubscribe),
        ("Change the time or the day in your settings", mail.link(REMINDER_SETTINGS_PATH)),
        FOOTER,
    ]


def daily_reminder(mail: MailSettings, name: str, today: date,
                   unsubscribe: str) -> MailContent:
    """The daily check-in reminder: today has no diary entry yet."""
    return _content(f"Your diary for {day_label(today)}", [
        _greeting(name),
        f"Your diary has no entry for today ({day_label(today)}) yet. If today was "
        "headache-free, one tap records it; if you had an attack, you can log it.",
        ("Record today", mail.link(CHECKINS_PATH)),
        "Each recorded day makes your report more complete. If you have already "
        "recorded today elsewhere, there is nothing more to do.",
        *_closing(mail, "daily", unsubscribe),
    ])


def weekly_summary(mail: MailSettings, name: str, days: list[date],
                   unsubscribe: str) -> MailContent:
    """The weekly message: how many of the last four weeks' days have no entry."""
    count = len(days)
    noun = "day" if count == 1 else "days"
    listed = ", ".join(day_label(d) for d in days[-14:])
    more = f" (the latest 14 of them: {listed})" if count > 14 else f": {listed}"
    return _content(f"Your diary has {count} unrecorded {noun}", [
        _greeting(name),
        f"In the last four weeks your diary has {count} {noun} without an entry{more}.",
        "Days without an entry are left out of your report. If they were headache-free, "
        "the check-in page can mark the days since your last entry in one tap; an attack you "
        "remember can be added with its date.",
        ("Open your check-ins", mail.link(CHECKINS_PATH)),
        ("Add an attack", mail.link(ATTACKS_PATH)),
        *_closing(mail, "weekly", unsubscribe),
    ])


def password_reset(mail: MailSettings, name: str, url: str, minutes: int) -> MailContent:
    """The password-reset message with its single-use link."""
    return _content("Reset your migraine-weather password", [
        _greeting(name),
        "Someone, probably you, asked to reset the password of the migraine-weather account "
        "with this e-mail address.",
        (f"Choose a new password (the link works once, for {minutes} minutes)", url),
        "Setting a new password logs out every device and revokes your API tokens. If you "
        "did not ask for this, ignore this e-mail: your password stays as it is.",
        FOOTER,
    ])
