"""Done-when of issue 5: register, log three attacks, share, the clinician reads, revoke."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, login
from tracker.accounts.users import create_user


def _code(page: str) -> str:
    match = re.search(r'<p class="code">([A-Z0-9]{5}-[A-Z0-9]{5})</p>', page)
    assert match, page
    return match.group(1)


def test_patient_shares_with_a_clinician_and_revokes(app, session_factory):
    with session_factory.begin() as s:
        create_user(s, email="dr@example.org", password=PASSWORD, role="clinician",
                    name="Dr Example")
    patient = app.test_client()
    response = patient.post("/register", data={
        "email": "new@example.org", "password": "a long password", "name": "New Patient",
        "timezone": "Europe/Berlin", "latitude": "52.52", "longitude": "13.40",
    })
    assert response.status_code == 302  # to the login page (the same for a taken email)
    assert login(patient, "new@example.org", "a long password").status_code == 302

    for day, note in (("03", "journey-one"), ("10", "journey-two"), ("17", "journey-three")):
        response = patient.post("/attacks", data={
            "started_at": f"2026-02-{day}T07:30", "kind": "migraine", "intensity": "5",
            "threat": "3", "expected_weather": "no", "medication_helped": "", "notes": note,
        })
        assert response.status_code == 302, response.get_data(as_text=True)
    page = patient.get("/attacks").get_data(as_text=True)
    assert all(n in page for n in ("journey-one", "journey-two", "journey-three"))

    page = patient.post("/sharing/code").get_data(as_text=True)
    code = _code(page)
    assert "expires after 72 hours" in page
    assert code not in patient.get("/sharing").get_data(as_text=True)  # shown once

    clinician = app.test_client()
    assert login(clinician, "dr@example.org").status_code == 302
    assert clinician.post("/patients/redeem", data={"code": code.lower()}).status_code == 302
    listing = clinician.get("/patients").get_data(as_text=True)
    assert "New Patient" in listing
    patient_id = int(re.search(r'href="/patients/(\d+)"', listing).group(1))
    view = clinician.get(f"/patients/{patient_id}")
    assert view.status_code == 200
    text = view.get_data(as_text=True)
    assert all(n in text for n in ("journey-one", "journey-two", "journey-three"))
    assert "Delete" not in text and "Edit" not in text  # read-only
    # ... and read-only for real: the diary routes are the patient's own.
    assert clinician.get("/attacks").status_code == 403
    assert clinician.post("/attacks/1/delete").status_code == 403
    assert clinician.post("/attacks", data={"started_at": "2026-02-20T07:30"}).status_code == 403
    # A code works once.
    assert clinician.post("/patients/redeem", data={"code": code}).status_code == 400

    sharing = patient.get("/sharing").get_data(as_text=True)
    assert "Dr Example" in sharing
    link_id = re.search(r'action="/sharing/(\d+)/revoke"', sharing).group(1)
    audit = patient.get("/audit").get_data(as_text=True)
    assert "Dr Example" in audit and "viewed the diary" in audit

    assert patient.post(f"/sharing/{link_id}/revoke").status_code == 302
    assert "Nobody else can see your diary" in patient.get("/sharing").get_data(as_text=True)
    assert clinician.get(f"/patients/{patient_id}").status_code == 404
    assert clinician.get(f"/patients/{patient_id}/attacks.csv").status_code == 404
    assert "New Patient" not in clinician.get("/patients").get_data(as_text=True)
    assert "ended a clinician" in patient.get("/audit").get_data(as_text=True)
