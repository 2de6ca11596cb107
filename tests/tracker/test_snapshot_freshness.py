"""The clinician list's summaries: reused while the diary is unchanged, recomputed after any
change to it (adds, edits and deletes alike), and after the day turns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from correlation import MethodConfig
from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import delete_attack, record_attack
from tracker.diary.courses import record_course
from tracker.models import ReportSnapshot
from tracker.reports.settings import ReportSettings
from tracker.reports.snapshots import current_summaries

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
CONFIG = MethodConfig()


def _summaries(session, patient, now):
    out = current_summaries(session, [patient], ReportSettings(CONFIG, 0.1), now)
    session.commit()
    return out[patient.id], session.get(ReportSnapshot, patient.id).computed_at


def test_summaries_follow_diary_changes(session):
    patient = create_user(session, email="p@example.org", password="long enough",
                          role="patient", timezone="Europe/Oslo", latitude=59.9, longitude=10.7,
                          now=NOW - timedelta(days=200))
    record_course(session, patient, started_on=date(2026, 1, 1), ended_on=date(2026, 2, 1))
    session.commit()
    first, at1 = _summaries(session, patient, NOW)
    assert first["periods"]["followup"]["migraine_days"] == 0
    assert "days" not in first

    again, at2 = _summaries(session, patient, NOW + timedelta(minutes=5))
    assert at2 == at1 and again == first  # unchanged diary: the stored summary is reused

    attack = record_attack(session, patient, AttackInput(
        started_at=datetime(2026, 3, 3, 8, tzinfo=UTC)), now=NOW)
    session.commit()
    changed, at3 = _summaries(session, patient, NOW + timedelta(minutes=10))
    assert at3 > at2 and changed["periods"]["followup"]["migraine_days"] == 1

    delete_attack(session, patient, attack.id)
    session.commit()
    after_delete, at4 = _summaries(session, patient, NOW + timedelta(minutes=15))
    assert at4 > at3 and after_delete["periods"]["followup"]["migraine_days"] == 0

    _, at5 = _summaries(session, patient, NOW + timedelta(days=1))  # a new local day
    assert at5 > at4
    _, at6 = _summaries(session, patient, NOW + timedelta(days=1, minutes=1))
    assert at6 == at5
    other = MethodConfig(drop_threshold_hpa=6.0)  # other settings: not the same report
    current_summaries(session, [patient], ReportSettings(other, 0.1),
                      NOW + timedelta(days=1, minutes=2))
    assert session.get(ReportSnapshot, patient.id).computed_at > at6


def test_the_list_sees_pressure_that_arrived_after_its_summary(session):
    """One freshness rule: pressure for past hours makes a stored summary stale at once;
    pressure for today's hours (the hourly pull) does not."""
    from weather.grid import find_cell_id
    from weather.observations import upsert_observations

    patient = create_user(session, email="q@example.org", password="long enough",
                          role="patient", timezone="Europe/Oslo", latitude=59.9, longitude=10.7,
                          now=NOW - timedelta(days=200))
    record_course(session, patient, started_on=date(2026, 1, 1), ended_on=date(2026, 2, 1))
    session.commit()
    _, at1 = _summaries(session, patient, NOW)
    from tracker.cells import cells_in_use

    cells_in_use(session, 0.1)  # the scheduler creates the patient's cell
    cell = find_cell_id(session, 59.9, 10.7, 0.1)
    today = datetime(2026, 5, 1, 6, tzinfo=UTC)
    upsert_observations(session, cell, [today], [1001.0], [1011.0], "forecast",
                        NOW + timedelta(minutes=1))
    session.commit()
    _, at2 = _summaries(session, patient, NOW + timedelta(minutes=2))
    assert at2 == at1  # today's hours: not a change
    past = datetime(2026, 2, 10, 6, tzinfo=UTC)
    upsert_observations(session, cell, [past], [1001.0], [1011.0], "archive",
                        NOW + timedelta(minutes=3))
    session.commit()
    _, at3 = _summaries(session, patient, NOW + timedelta(minutes=4))
    assert at3 > at2  # pressure for a past hour arrived after the summary: recomputed


def test_a_summary_of_an_older_report_contract_is_recomputed(session):
    patient = create_user(session, email="v@example.org", password="long enough",
                          role="patient", timezone="UTC", latitude=59.9, longitude=10.7,
                          now=NOW - timedelta(days=200))
    record_course(session, patient, started_on=date(2026, 1, 1), ended_on=date(2026, 2, 1))
    session.commit()
    first, at1 = _summaries(session, patient, NOW)
    assert first["schema"] == "migraine-weather/report/v2" and "clinical" in first
    stored = session.get(ReportSnapshot, patient.id)
    stored.summary = {k: v for k, v in first.items() if k != "clinical"} | {
        "schema": "migraine-weather/report/v1"}
    session.commit()
    again, at2 = _summaries(session, patient, NOW + timedelta(minutes=5))
    assert at2 > at1 and again["schema"] == "migraine-weather/report/v2" and "clinical" in again


def test_arrivals_count_from_the_earliest_local_midnight(session):
    """Only today's arrivals (since the earliest of the patients' midnights) are read: an
    older one cannot make a report computed today stale, so it is left out (None)."""
    from tracker.cells import cells_in_use
    from tracker.reports.snapshots import latest_pressure_arrivals
    from weather.grid import find_cell_id
    from weather.observations import upsert_observations

    oslo = create_user(session, email="o@example.org", password="long enough", role="patient",
                       timezone="Europe/Oslo", latitude=59.9, longitude=10.7, now=NOW)
    york = create_user(session, email="y@example.org", password="long enough", role="patient",
                       timezone="America/New_York", latitude=40.7, longitude=-74.0, now=NOW)
    settings = ReportSettings(CONFIG, 0.1)
    cells_in_use(session, 0.1)
    oslo_cell = find_cell_id(session, 59.9, 10.7, 0.1)
    york_cell = find_cell_id(session, 40.7, -74.0, 0.1)
    past = datetime(2026, 2, 10, 6, tzinfo=UTC)
    oslo_midnight = datetime(2026, 4, 30, 22, tzinfo=UTC)  # 1 May 00:00 CEST
    upsert_observations(session, oslo_cell, [past], [1001.0], [1011.0], "archive",
                        oslo_midnight - timedelta(minutes=1))
    upsert_observations(session, york_cell, [past], [1002.0], [1012.0], "archive",
                        oslo_midnight + timedelta(minutes=1))
    session.flush()
    arrivals = latest_pressure_arrivals(session, [oslo, york], settings, NOW)
    assert arrivals == {oslo.id: None, york.id: oslo_midnight + timedelta(minutes=1)}
    later = NOW + timedelta(hours=1)
    upsert_observations(session, oslo_cell, [past + timedelta(hours=1)], [1003.0], [1013.0],
                        "archive", later)
    session.flush()
    assert latest_pressure_arrivals(session, [oslo], settings, later) == {oslo.id: later}
