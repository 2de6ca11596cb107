"""The cohort page's question and tabs (issue #13), comparison patients (A8), the power page."""

from __future__ import annotations

import re

import pytest

from correlation.simulate import simulate_patient
from tests.web.conftest import PASSWORD, login
from tracker.accounts.users import create_user
from tracker.clock import utcnow
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.courses import COMPARISON_KIND, list_courses, update_course
from tracker.diary.profile import add_location_period, local_today
from tracker.models import CareLink, User

CLINICIAN = "clinician@demo.example"


def _add_comparison_patient(session, clinician, index: int) -> None:
    """A wait-list patient in Oslo (the demo's pressure cell) with assessment dates."""
    from tracker.demo import DEMO_DAYS, SITES

    site, now = SITES[0], utcnow()
    sim = simulate_patient(100 + index, report_date=local_today(site.timezone, now),
                           days=DEMO_DAYS, timezone=site.timezone, base_rate=0.15,
                           sensitivity=3.0)
    patient = create_user(session, email=f"waitlist{index}@example.org", password=PASSWORD,
                          role="patient", name=f"Wait-list {index}", timezone=site.timezone)
    patient.profile.tracking_started_on = sim.tracking_start
    add_location_period(session, patient, starts_on=sim.tracking_start,
                        latitude=site.latitude, longitude=site.longitude,
                        timezone=site.timezone, label=site.label)
    from tracker.diary.courses import record_course

    record_course(session, patient, started_on=sim.course.started_on,
                  ended_on=sim.course.ended_on, kind=COMPARISON_KIND)
    for attack in sim.attacks:
        if attack.started_at <= now and (attack.ended_at is None or attack.ended_at <= now):
            record_attack(session, patient, AttackInput(
                started_at=attack.started_at, ended_at=attack.ended_at, kind=attack.kind,
                intensity=5), source="import")
    session.add(CareLink(patient_id=patient.id, clinician_id=clinician.id, created_at=now))


@pytest.fixture
def demo(session_factory):
    """The demo clinician with three treated patients."""
    from tracker.demo import seed_demo

    with session_factory.begin() as s:
        seed_demo(s, password=PASSWORD)


@pytest.fixture
def with_comparison(demo, session_factory):
    """The demo plus two comparison (wait-list) patients."""
    from sqlalchemy import select

    with session_factory.begin() as s:
        clinician = s.scalar(select(User).where(User.email == CLINICIAN))
        for i in (1, 2):
            _add_comparison_patient(s, clinician, i)


def _page(client, url: str) -> str:
    login(client, CLINICIAN)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_page_opens_on_the_question_with_the_rule_stated(client, demo):
    page = _page(client, "/cohort")
    assert "weather-sensitive before it?" in page
    assert 'aria-current="page">Weather-sensitive before treatment' in page
    assert "at least 1.5" in page and "at least 4 baseline onsets" in page
    assert 'href="/cohort?' in page and "group=all" in page
    assert "/cohort/power" in page
    assert re.search(r"Across \d+ analysed patients, weather sensitivity", page)


def test_the_all_tab_and_a_stricter_rule(client, demo):
    everyone = _page(client, "/cohort?group=all")
    assert 'aria-current="page">All patients' in everyone
    assert "all linked patients with a report" in everyone
    assert "Demo patient 2" in everyone
    strict = client.get("/cohort?group=sensitive&min_ratio=1000").get_data(as_text=True)
    assert "at least 1000" in strict and "3 patients outside this rule" in strict
    assert "None of your patients with a report meets this rule." in strict


@pytest.mark.parametrize("query", ["group=some", "min_ratio=abc", "min_onsets=-1"])
def test_a_bad_query_names_the_parameter(client, demo, query):
    login(client, CLINICIAN)
    response = client.get(f"/cohort?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.get_data(as_text=True)


def test_left_out_patients_are_listed_and_can_be_included(client, demo, session_factory):
    from sqlalchemy import select

    with session_factory.begin() as s:  # patient 3's report one day into follow-up
        patient = s.scalar(select(User).where(User.email == "patient3@demo.example"))
        course = list_courses(s, patient)[0]
        today = local_today(patient.profile.timezone, utcnow())
        update_course(s, patient, course.id, started_on=today.replace(day=1)
                      if today.day > 2 else today, ended_on=None)
    page = _page(client, "/cohort?group=all")
    assert "Not enough data yet (1 left out of every number below)" in page
    assert "Demo patient 3" in page[page.index("Not enough data yet"):]
    assert "include_insufficient=1" in page and "Include them (marked)" in page
    marked = client.get("/cohort?group=all&include_insufficient=1").get_data(as_text=True)
    assert "not enough data (included on request)" in marked
    assert "Not enough data yet" not in marked


def test_without_comparison_patients_the_page_says_so(client, demo):
    page = _page(client, "/cohort?group=all")
    assert "No comparison patients (wait-list or usual care) are analysed" in page


def test_the_comparison_contrast_is_shown(client, with_comparison):
    page = _page(client, "/cohort?group=all")
    section = page[page.index('id="comparison"'):]
    assert "2 comparison patients" in section and "Wait-list 1" in section
    assert "treated minus comparison" in section
    assert re.search(r"treated minus comparison</dt><dd>[+-]\d+\.\d \S*<span class=\"ci\">"
                     r"\(95% CI [^;]+; Welch t, p", section)
    assert re.search(r"treated over comparison \(model with a group term\)</dt><dd>\d+\.\d\d ",
                     section)
    # comparison patients are not among the treated patients' numbers
    assert "Treated patients analysed</dt><dd>3 of 3" in page


def test_the_course_form_offers_comparison(client, world):
    login(client, world.emails["a"])
    page = client.get("/courses").get_data(as_text=True)
    assert "Comparison: wait-list or usual care (assessment dates)" in page
    response = client.post("/courses", data={"kind": COMPARISON_KIND,
                                              "started_on": "2026-01-11",
                                              "ended_on": "2026-02-21"})
    assert response.status_code == 302
    assert "comparison" in client.get("/courses").get_data(as_text=True)


def test_the_power_page_runs_for_a_linked_clinician(client, demo):
    page = _page(client, "/cohort/power")
    assert "simulation" in page and "Your patients' stored baselines (3 patients)" in page
    assert "Run the simulation" in page and "Cohort power" not in page
    result = client.get("/cohort/power?run=1&source=clinic&tau=0.3&baseline_weeks=12"
                        "&simulations=1").get_data(as_text=True)
    assert "Cohort power" in result and "True sensitivity ratio 0.5" in result
    for n in ("10", "20", "50", "100"):
        assert f'<th scope="row">{n}</th>' in result
    for w in (12, 24, 52):
        assert f"{w} weeks of follow-up" in result
    assert "One patient" in result and "more weeks" in result


def test_bad_power_input_is_shown_on_the_form(client, demo):
    page = _page(client, "/cohort/power?run=1&source=entered&window_share=5&tau=0.3"
                         "&baseline_weeks=12&simulations=1")
    assert "Cohort power" not in page and 'aria-invalid="true"' in page


@pytest.mark.parametrize("who", ["a", "anonymous"])
def test_the_power_page_is_for_clinicians_only(client, world, who):
    if who != "anonymous":
        login(client, world.emails[who])
    response = client.get("/cohort/power")
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
