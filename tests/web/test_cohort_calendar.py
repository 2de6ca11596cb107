"""The cohort page and command check that comparison patients cover the treated patients'
months of the year (A8: "over the same calendar months")."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from correlation.simulate import simulate_patient
from tests.conftest import CliRunner
from tests.web.conftest import PASSWORD, login
from tests.web.test_cohort_page import CLINICIAN, _add_comparison_patient
from tracker.accounts.users import create_user
from tracker.clock import utcnow
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.courses import COMPARISON_KIND, record_course
from tracker.diary.profile import add_location_period, local_today
from tracker.models import CareLink, User
from weather.settings import WeatherSettings

#: Comparison patients half a year earlier, in their own grid cell (Bergen).
SHIFT_DAYS = 182


def _add_earlier_comparison_patient(session, clinician, index: int) -> None:
    """A wait-list patient whose periods end half a year ago, with that half-year's pressure."""
    from tracker.demo import DEMO_DAYS, DemoSite, _store_pressure

    site, now = DemoSite("Bergen", 60.39, 5.32, "Europe/Oslo"), utcnow()
    sim = simulate_patient(200 + index, days=DEMO_DAYS, timezone=site.timezone,
                           report_date=local_today(site.timezone, now)
                           - timedelta(days=SHIFT_DAYS), base_rate=0.15, sensitivity=3.0)
    patient = create_user(session, email=f"earlier{index}@example.org", password=PASSWORD,
                          role="patient", name=f"Earlier {index}", timezone=site.timezone)
    patient.profile.tracking_started_on = sim.tracking_start
    add_location_period(session, patient, starts_on=sim.tracking_start,
                        latitude=site.latitude, longitude=site.longitude,
                        timezone=site.timezone, label=site.label)
    record_course(session, patient, started_on=sim.course.started_on,
                  ended_on=sim.course.ended_on, kind=COMPARISON_KIND)
    for attack in sim.attacks:
        record_attack(session, patient, AttackInput(
            started_at=attack.started_at, ended_at=attack.ended_at, kind=attack.kind,
            intensity=5), source="import")
    _store_pressure(session, sim.pressure_start, sim.pressure_hpa, site,
                    WeatherSettings().grid_degrees, 10.0, now)
    session.add(CareLink(patient_id=patient.id, clinician_id=clinician.id, created_at=now))


def _clinic(session_factory, add) -> None:
    from tracker.demo import seed_demo

    with session_factory.begin() as s:
        seed_demo(s, password=PASSWORD)
        clinician = s.scalar(select(User).where(User.email == CLINICIAN))
        for i in (1, 2, 3):
            add(s, clinician, i)


@pytest.fixture
def same_months(session_factory):
    """The demo's treated patients and comparison patients over the same months."""
    _clinic(session_factory, _add_comparison_patient)


@pytest.fixture
def earlier(session_factory):
    """The demo's treated patients and comparison patients half a year earlier."""
    _clinic(session_factory, _add_earlier_comparison_patient)


def _cohort(client, db_url) -> tuple[str, dict]:
    login(client, CLINICIAN)
    page = client.get("/cohort?group=all").get_data(as_text=True)
    result = CliRunner(db_url).invoke("cohort", "--clinician", CLINICIAN)
    assert result.exit_code == 0, result.output
    return page, json.loads(result.output)["comparison"]


def test_comparison_patients_over_the_same_months_are_like_for_like(client, db_url,
                                                                     same_months):
    page, comparison = _cohort(client, db_url)
    assert comparison["available"] is True and comparison["like_for_like"] is True
    cal = comparison["calendar_overlap"]
    assert cal["baseline_overlap"] >= 0.5 and cal["followup_overlap"] >= 0.5
    assert cal["caveat"] is None
    assert "Both groups' periods cover the same months of the year" in page
    assert "not like-for-like" not in page


def test_comparison_patients_half_a_year_earlier_are_not_like_for_like(client, db_url,
                                                                        earlier):
    page, comparison = _cohort(client, db_url)
    assert comparison["available"] is True, comparison
    assert comparison["like_for_like"] is False
    cal = comparison["calendar_overlap"]
    assert cal["baseline_overlap"] < 0.5 and cal["followup_overlap"] < 0.5
    assert sum(cal["months"]["comparison"]["followup"]) > 0
    assert "do not cover the same months of the year" in cal["caveat"]
    assert "Treated minus comparison patients (not like-for-like)</h2>" in page
    assert 'role="note">The comparison patients' in page
    assert page.count("(not like-for-like)</dt>") == 2  # both contrasts are labelled
