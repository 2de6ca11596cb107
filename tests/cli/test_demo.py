"""The demo: fixed logins, simulated pressure, the intended patterns, and safe re-runs."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from correlation.simulate import DEMO_PATIENTS
from tests.conftest import CliRunner
from tracker.database import make_engine, make_session_factory
from tracker.models import Attack, CareLink, User
from weather.models import PressureObservation

LOGINS = ["clinician@demo.example"] + [f"patient{i}@demo.example" for i in (1, 2, 3, 4)]


def _counts(db_url):
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        out = {
            "users": s.scalar(select(func.count()).select_from(User)),
            "attacks": s.scalar(select(func.count()).select_from(Attack)),
            "links": s.scalar(select(func.count()).select_from(CareLink)),
            "pressure": s.scalar(select(func.count()).select_from(PressureObservation)),
            "sources": set(s.scalars(select(PressureObservation.source).distinct())),
        }
    engine.dispose()
    return out


def test_demo_seeds_fixed_logins_and_reruns_replace_only_demo_data(db_url):
    runner = CliRunner(db_url)
    result = runner.invoke("demo", "--seed-only")
    assert result.exit_code == 0, result.output
    for email in LOGINS:
        assert email in result.output
    assert "demo-password" in result.output
    first = _counts(db_url)
    assert first["users"] == 5 and first["links"] == 3 and first["attacks"] > 30
    assert first["sources"] == {"simulated"}
    assert first["pressure"] > 3 * 24 * 260

    # A real user is left alone by a second run; the demo data is replaced, not doubled.
    runner.invoke("users", "create", "--email", "real@example.org", "--password",
                  "long enough", "--role", "clinician")
    assert runner.invoke("demo", "--seed-only").exit_code == 0
    second = _counts(db_url)
    assert second["users"] == 6
    assert (second["attacks"], second["links"], second["pressure"]) == (
        first["attacks"], first["links"], first["pressure"])


def test_demo_patients_show_the_intended_patterns(db_url):
    runner = CliRunner(db_url)
    assert runner.invoke("demo", "--seed-only").exit_code == 0
    for index, spec in enumerate(DEMO_PATIENTS, start=1):
        result = runner.invoke("report", "--patient", f"patient{index}@demo.example")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["schema"] == "migraine-weather/report/v2"
        assert report["findings"][0]["code"] == spec.expected_verdict, (index, report["findings"])
        assert report["periods"]["baseline"]["pressure_coverage"] > 0.99


def test_cohort_of_the_demo_clinician(db_url):
    runner = CliRunner(db_url)
    assert runner.invoke("demo", "--seed-only").exit_code == 0
    result = runner.invoke("cohort", "--clinician", "clinician@demo.example")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["n_patients"] == 3
    assert [r["verdict"] for r in summary["rows"]] == [p.expected_verdict for p in DEMO_PATIENTS]
    pooled = summary["pooled_sensitivity_ratio"]  # A6: the model replaced fixed/random
    assert next(iter(summary)) == "pooled_sensitivity_ratio"
    assert pooled["n_pooled"] + pooled["n_left_out"] == 3 and "sensitivity_analysis" in pooled
    assert runner.invoke("cohort", "--clinician", "patient1@demo.example").exit_code != 0


def test_patient_4_imported_two_years_of_migraine_buddy_history(db_url):
    from datetime import timedelta

    from tracker.clock import utcnow
    from tracker.models import AuditEvent, LocationPeriod
    from tracker.reports.history_status import history_pressure

    runner = CliRunner(db_url)
    assert runner.invoke("demo", "--seed-only").exit_code == 0
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        patient = s.scalars(select(User).where(User.email == "patient4@demo.example")).one()
        joined = patient.created_at
        assert utcnow() - joined < timedelta(days=8)
        imported = list(s.scalars(select(Attack).where(Attack.patient_id == patient.id,
                                                       Attack.source == "import")))
        assert len(imported) > 80 and all(a.started_at < joined for a in imported)
        first = min(a.started_at for a in imported)
        assert joined - first > timedelta(days=700)
        # the import went through the service: audit event, home moved back to the history
        assert "attack(s) added" in s.scalar(select(AuditEvent.detail).where(
            AuditEvent.patient_id == patient.id, AuditEvent.action == "diary_imported"))
        homes = list(s.scalars(select(LocationPeriod.starts_on)
                               .where(LocationPeriod.patient_id == patient.id)))
        assert homes == [first.astimezone(ZoneInfo("Europe/Paris")).date()]
        # the simulated pressure covers it all: the dashboard shows the analysis offline
        assert history_pressure(s, patient, 0.1, utcnow(), 15) is None
    engine.dispose()
    result = runner.invoke("report", "--patient", "patient4@demo.example")
    assert result.exit_code == 0, result.output
    baseline = json.loads(result.output)["periods"]["baseline"]
    assert baseline["covered_days"] == 84 and baseline["pressure_coverage"] > 0.99
    assert baseline["migraine_days"] > 4
