"""send-reminders against a real SMTP server (aiosmtpd): local times across DST changes, the
weekly count, at most once after restarts and races, refusals, and the unsubscribe link."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from jobs.context import build_context, install
from jobs.models import JobRun
from jobs.names import SEND_REMINDERS
from jobs.reminders import link_secret, scheduled_send_reminders, send_reminders
from jobs.tasks import run_job
from tests.jobs.conftest import ROOT, add_patient
from tests.smtp_server import SmtpSink, text_part
from tests.threads import run_in_threads
from tracker.diary.checkins import record_checkin
from tracker.models import Attack, User
from tracker.reminder_models import ReminderPreference, SentMessage
from tracker.reminders import Preferences, save_preferences


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_settings(settings, smtp):
    """Test settings (secret "test-secret") that send mail to the in-process server."""
    return dataclasses.replace(settings, mail=smtp.settings())


@pytest.fixture
def contexts(mail_settings, engine):
    """Make job contexts on the test database (each like one scheduler process)."""
    made = []

    def make(settings=None):
        context = build_context(settings or mail_settings, engine)
        made.append(context)
        return context

    yield make
    install(None)
    for context in made:
        context.close()


def _patient(session_factory, email: str, timezone: str, *, name: str = "", **prefs) -> int:
    with session_factory.begin() as session:
        user = add_patient(session, email, 51.5, -0.1, timezone=timezone,
                           created=datetime(2026, 1, 1, tzinfo=UTC))
        user.name = name
        save_preferences(session, user, Preferences(**prefs))
        return user.id


def _rows(session_factory) -> list[tuple[int, str, date, str, int]]:
    with session_factory() as session:
        return [tuple(r) for r in session.execute(
            select(SentMessage.patient_id, SentMessage.kind, SentMessage.local_day,
                   SentMessage.status, SentMessage.attempts).order_by(SentMessage.id))]


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


#: (zone, local time, [(local day, the instant it is due in UTC, worked out by hand)])
DST_CASES = [
    ("Europe/London", "20:00", [  # BST from 29 Mar 2026 01:00 UTC to 25 Oct 2026 01:00 UTC
        (date(2026, 3, 28), _utc(2026, 3, 28, 20)), (date(2026, 3, 29), _utc(2026, 3, 29, 19)),
        (date(2026, 10, 24), _utc(2026, 10, 24, 19)),
        (date(2026, 10, 25), _utc(2026, 10, 25, 20))]),
    ("America/New_York", "08:00", [  # EDT from 8 Mar 2026 to 1 Nov 2026
        (date(2026, 3, 7), _utc(2026, 3, 7, 13)), (date(2026, 3, 8), _utc(2026, 3, 8, 12)),
        (date(2026, 10, 31), _utc(2026, 10, 31, 12)), (date(2026, 11, 1), _utc(2026, 11, 1, 13))]),
]


@pytest.mark.parametrize(("zone", "at", "days"), DST_CASES, ids=["london", "new-york"])
def test_daily_reminders_go_at_the_local_time_on_both_sides_of_each_dst_change(
    contexts, session_factory, smtp, zone, at, days
):
    ctx = contexts()
    patient = _patient(session_factory, "p@example.org", zone, name="Ann", daily=True, time=at)
    for number, (day, due) in enumerate(days, start=1):
        assert send_reminders(ctx, due - timedelta(minutes=1)).rows_written == 0
        result = run_job(ctx, SEND_REMINDERS, due + timedelta(minutes=1))
        assert (result.status, result.rows_written, result.cells_done) == ("ok", 1, 1)
        message = smtp.wait_for(number)[-1]
        assert message["To"] == "p@example.org"
        assert message["Subject"] == f"Your diary for {day:%a} {day.day} {day:%b %Y}"
        assert "Hello Ann," in text_part(message)
    assert [(p, k, d, s) for p, k, d, s, _ in _rows(session_factory)] == [
        (patient, "daily", day, "sent") for day, _ in days]


def test_a_time_the_clocks_skip_or_repeat_is_sent_once(contexts, session_factory, smtp):
    ctx = contexts()
    _patient(session_factory, "p@example.org", "Europe/London", daily=True, time="01:30")
    # 29 Mar 2026: 01:00 GMT jumps to 02:00 BST, so 01:30 is read as GMT (02:30 BST)
    assert send_reminders(ctx, _utc(2026, 3, 29, 1, 29)).rows_written == 0
    assert send_reminders(ctx, _utc(2026, 3, 29, 1, 31)).rows_written == 1
    # 25 Oct 2026: 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT): the first
    assert send_reminders(ctx, _utc(2026, 10, 25, 0, 29)).rows_written == 0
    assert send_reminders(ctx, _utc(2026, 10, 25, 0, 31)).rows_written == 1
    assert send_reminders(ctx, _utc(2026, 10, 25, 1, 31)).rows_written == 0
    assert len(smtp.messages) == 2


def test_a_reminder_missed_for_longer_than_the_catch_up_time_waits_for_the_next_day(
    contexts, session_factory, smtp
):
    ctx = contexts()
    _patient(session_factory, "p@example.org", "UTC", daily=True, time="08:00")
    assert send_reminders(ctx, _utc(2026, 5, 4, 14, 1)).rows_written == 0  # 6 h catch-up
    assert send_reminders(ctx, _utc(2026, 5, 4, 13, 59)).rows_written == 1


def test_nothing_is_sent_twice_after_restarts_or_a_run_killed_while_sending(
    contexts, session_factory, smtp
):
    patient = _patient(session_factory, "p@example.org", "Europe/Oslo", daily=True,
                       time="07:00")
    due = _utc(2026, 6, 1, 5)  # 07:00 CEST
    for minutes in (1, 6, 11, 240):  # the first run, then later looks the same day
        send_reminders(contexts(), due + timedelta(minutes=minutes))  # a new process each
    assert len(smtp.wait_for(1)) == 1
    # A process killed between claiming and recording leaves "sending": never sent again.
    with session_factory.begin() as session:
        session.add(SentMessage(patient_id=patient, kind="daily", local_day=date(2026, 6, 2),
                                status="sending", attempts=1, claimed_at=due))
    for minutes in (1, 6, 60):
        send_reminders(contexts(), due + timedelta(days=1, minutes=minutes))
    assert len(smtp.messages) == 1
    assert [s for *_, s, _ in _rows(session_factory)] == ["sent", "sending"]


def test_two_schedulers_racing_send_each_reminder_once(contexts, session_factory, smtp):
    ids = [_patient(session_factory, f"p{i}@example.org", "UTC", daily=True, time="09:00")
           for i in range(6)]
    now = _utc(2026, 2, 3, 9, 2)
    ctxs = [contexts() for _ in range(3)]
    barrier = threading.Barrier(len(ctxs))

    def run(index: int) -> None:
        barrier.wait()
        send_reminders(ctxs[index], now)

    run_in_threads(run, len(ctxs))
    assert sorted(to for _, [to] in smtp.envelopes) == sorted(
        f"p{i}@example.org" for i in range(6))
    assert sorted(p for p, *_ in _rows(session_factory)) == sorted(ids)


def test_two_processes_running_the_job_at_once_send_one_message(
    db_url, engine, session_factory, smtp, tmp_path
):
    now = datetime.now(UTC)
    due = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    _patient(session_factory, "p@example.org", "UTC", daily=True, time=f"{due:%H:%M}")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[mail]\nhost = "127.0.0.1"\nport = {smtp.port}\ntls = "none"\n'
        'from_address = "diary@example.org"\nbase_url = "https://diary.example.org"\n')
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": db_url, "SECRET_KEY": "test-secret",
           "MIGRAINE_WEATHER_CONFIG": str(config)}
    command = [sys.executable, "-c", "from cli.main import main; main()", "jobs", "run",
               SEND_REMINDERS]
    procs = [subprocess.Popen(command, env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert len(smtp.wait_for(1)) == 1
    with session_factory() as session:
        runs = session.scalars(select(JobRun.rows_written).where(JobRun.job == SEND_REMINDERS))
        assert sorted(runs) == [0, 1]


def _check_in(session_factory, patient_id: int, *days: date) -> None:
    with session_factory.begin() as session:
        user = session.get(User, patient_id)
        for day in days:
            record_checkin(session, user, day, now=_utc(2026, 4, 30))


def test_the_weekly_summary_counts_the_days_the_report_leaves_out(
    contexts, session_factory, smtp
):
    ctx = contexts()
    # Check-in mode from the first check-in, 1 Apr; 14 Apr is Tuesday.
    patient = _patient(session_factory, "p@example.org", "Europe/Berlin", weekly=True,
                       time="18:00", weekday="tuesday")
    _check_in(session_factory, patient, *(date(2026, 4, d) for d in (1, 2, 3, 6, 7, 10)))
    with session_factory.begin() as session:  # covers 4 and 5 Apr (local), not 8 or 9
        session.add(Attack(patient_id=patient, started_at=_utc(2026, 4, 4, 20),
                           ended_at=_utc(2026, 4, 5, 6), kind="headache", created_at=_utc(
                               2026, 4, 5), updated_at=_utc(2026, 4, 5), source="web"))
    assert send_reminders(ctx, _utc(2026, 4, 13, 16, 5)).rows_written == 0  # a Monday
    assert send_reminders(ctx, _utc(2026, 4, 14, 16, 5)).rows_written == 1
    [message] = smtp.wait_for(1)
    # before 1 Apr: assumed complete; 8, 9, 11, 12, 13 Apr have no entry (today not counted)
    assert message["Subject"] == "Your diary has 5 unrecorded days"
    assert ("5 days without an entry: Wed 8 Apr 2026, Thu 9 Apr 2026, Sat 11 Apr 2026, "
            "Sun 12 Apr 2026, Mon 13 Apr 2026.") in text_part(message)


def test_nothing_to_remind_of_is_recorded_as_skipped_and_not_sent(
    contexts, session_factory, smtp
):
    ctx = contexts()
    # No check-ins: every day counts as recorded, so the weekly summary has nothing to say.
    weekly = _patient(session_factory, "w@example.org", "UTC", weekly=True, time="10:00",
                      weekday="monday")
    daily = _patient(session_factory, "d@example.org", "UTC", daily=True, time="10:00")
    _check_in(session_factory, daily, date(2026, 4, 13))  # today, a Monday
    result = send_reminders(ctx, _utc(2026, 4, 13, 10, 1))
    assert (result.status, result.cells_done, result.rows_written) == ("ok", 2, 0)
    assert smtp.messages == []
    assert sorted((p, k, s) for p, k, _, s, _ in _rows(session_factory)) == sorted(
        [(weekly, "weekly", "skipped"), (daily, "daily", "skipped")])
    assert send_reminders(ctx, _utc(2026, 4, 13, 10, 6)).cells_done == 0  # not asked again


def test_a_refused_message_is_tried_again_and_then_sent_once(contexts, session_factory, smtp):
    ctx = contexts()
    patient = _patient(session_factory, "p@example.org", "UTC", daily=True, time="10:00")
    smtp.refuse_next = 1
    first = run_job(ctx, SEND_REMINDERS, _utc(2026, 4, 13, 10, 1))
    assert (first.status, first.cells_failed) == ("error", 1)
    assert "451" in first.error_text()
    assert _rows(session_factory) == [(patient, "daily", date(2026, 4, 13), "failed", 1)]
    assert run_job(ctx, SEND_REMINDERS, _utc(2026, 4, 13, 10, 6)).rows_written == 1
    assert run_job(ctx, SEND_REMINDERS, _utc(2026, 4, 13, 10, 11)).rows_written == 0
    assert len(smtp.messages) == 1
    assert _rows(session_factory) == [(patient, "daily", date(2026, 4, 13), "sent", 2)]


def test_the_unsubscribe_link_works_without_logging_in(
    contexts, mail_settings, engine, session_factory, smtp
):
    from web import create_app

    ctx = contexts()
    patient = _patient(session_factory, "p@example.org", "UTC", daily=True, weekly=True,
                       time="10:00", weekday="monday")
    _check_in(session_factory, patient, date(2026, 4, 1))  # check-in mode: days are missing
    send_reminders(ctx, _utc(2026, 4, 13, 10, 1))
    messages = {m["Subject"].split()[2]: m for m in smtp.wait_for(2)}  # "for" or "has"
    app = create_app({"SETTINGS": mail_settings, "ENGINE": engine, "TESTING": True})
    client = app.test_client()  # not logged in; CSRF is on

    daily = messages["for"]
    link = re.search(r"https://diary\.example\.org(/reminders/unsubscribe\?token=\S+)",
                     text_part(daily)).group(1)
    assert daily["List-Unsubscribe"] == f"<https://diary.example.org{link}>"
    page = client.get(link)
    assert page.status_code == 200 and "Stop daily check-in reminders" in page.text, page.text
    with session_factory() as session:  # a GET (a link scanner) changes nothing
        assert session.get(ReminderPreference, patient).daily is True
    done = client.post(link)
    assert done.status_code == 200 and "no more daily check-in reminders" in done.text
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL
    weekly = messages["has"]["List-Unsubscribe"].strip("<>").removeprefix(
        "https://diary.example.org")
    assert client.post(weekly, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with session_factory() as session:
        pref = session.get(ReminderPreference, patient)
        assert (pref.daily, pref.weekly) == (False, False)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert client.post(tampered).status_code == 404
    assert send_reminders(ctx, _utc(2026, 4, 20, 10, 1)).rows_written == 0


def test_without_mail_nothing_is_due_and_no_run_is_logged(
    settings, contexts, session_factory, smtp
):
    ctx = contexts(settings)  # no [mail]
    _patient(session_factory, "p@example.org", "UTC", daily=True, time="00:00")
    install(ctx)
    scheduled_send_reminders()
    assert send_reminders(ctx, datetime.now(UTC)).cells_done == 0
    with session_factory() as session:
        assert session.scalars(select(JobRun)).all() == []
    assert smtp.messages == []


def test_the_links_need_the_web_apps_secret_key(
    contexts, mail_settings, session_factory, smtp, tmp_path, monkeypatch
):
    assert link_secret(mail_settings, tmp_path) == "test-secret"
    no_key = dataclasses.replace(mail_settings, web=dataclasses.replace(
        mail_settings.web, secret_key=""))
    assert link_secret(no_key, tmp_path) is None
    (tmp_path / "secret_key").write_text("kept-by-the-web-app\n")
    assert link_secret(no_key, tmp_path) == "kept-by-the-web-app"

    monkeypatch.chdir(tmp_path)  # no instance/secret_key here
    _patient(session_factory, "p@example.org", "UTC", daily=True, time="10:00")
    result = send_reminders(contexts(no_key), _utc(2026, 4, 13, 10, 1))
    assert result.status == "error" and "SECRET_KEY" in result.error_text()
    assert smtp.messages == [] and _rows(session_factory) == []
