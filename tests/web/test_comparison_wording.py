"""A comparison patient's own dashboard, printed report, JSON and CSV never claim a course
(DESIGN A8); a treated patient's still speak of it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD, bearer, login
from tests.web.test_cohort_page import CLINICIAN, _add_comparison_patient
from tracker.accounts.tokens import create_token
from tracker.models import User

COURSE_WORDS = re.compile(r"\bcourse|\bPRT\b|\btreatment\b|\btreated\b", re.IGNORECASE)
TREATED = "patient1@demo.example"
WAITING = "waitlist1@example.org"


@pytest.fixture
def people(session_factory):
    """The demo (treated patients) and one comparison patient with an API token."""
    from tracker.demo import seed_demo

    with session_factory.begin() as s:
        seed_demo(s, password=PASSWORD)
        clinician = s.scalar(select(User).where(User.email == CLINICIAN))
        _add_comparison_patient(s, clinician, 1)
        tokens, ids = {}, {}
        for email in (TREATED, WAITING):
            user = s.scalar(select(User).where(User.email == email))
            tokens[email], _ = create_token(s, user, "test")
            ids[email] = user.id
    return ids, tokens


def _visible(html: str) -> str:
    """The page's main content as text: no scripts (chart specs), no tags."""
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def _pages(client, email: str, patient_id: int) -> dict[str, str]:
    login(client, email)
    out = {}
    for name, url in (("dashboard", "/dashboard"),
                      ("report", f"/patients/{patient_id}/report")):
        response = client.get(url)
        assert response.status_code == 200, url
        out[name] = _visible(response.get_data(as_text=True))
    client.post("/logout")
    return out


def test_the_comparison_patients_pages_speak_of_assessment_periods(client, people):
    ids, _ = people
    pages = _pages(client, WAITING, ids[WAITING])
    for name, text in pages.items():
        found = COURSE_WORDS.findall(text)
        assert not found, (name, found, text)
        assert "assessment period" in text, name
    assert "Assessment dates" in pages["report"]
    assert "Second period" in pages["report"]  # the table's column


def test_a_treated_patients_pages_still_speak_of_the_course(client, people):
    ids, _ = people
    pages = _pages(client, TREATED, ids[TREATED])
    assert "before the course" in pages["dashboard"]
    assert "PRT course" in pages["report"] and "assessment" not in pages["report"]


@pytest.mark.parametrize("email", [TREATED, WAITING])
def test_json_and_csv_carry_the_same_codes_with_the_kinds_words(client, people, email):
    ids, tokens = people
    headers = bearer(tokens[email])
    report = client.get(f"/api/v1/patients/{ids[email]}/report", headers=headers).get_json()
    texts = [f["text"] for f in report["findings"] + report["warnings"]]
    response = client.get(f"/api/v1/patients/{ids[email]}/export/summary", headers=headers)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    csv_texts = [r["value"] for r in rows if r["section"] in ("findings", "warnings")]
    assert csv_texts == texts
    claims = [t for t in texts if COURSE_WORDS.search(t)]
    if email == WAITING:
        assert report["course"]["kind"] == "comparison"
        assert claims == []
        assert any("assessment period" in t for t in texts)
    else:
        assert claims  # "Since the course, ..." or the verdict
