"""The medication list, its chips on the attack form and follow-up, and the mapping of older
free-text medications (issue #16, point 1); on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tracker.accounts.users import create_user
from tracker.clinical_models import AttackMedication, Medication, MedicationAlias
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.models import Attack


@pytest.fixture
def patient(session_factory):
    with session_factory.begin() as s:
        a = create_user(s, email="m@example.org", password="password-m", role="patient",
                        timezone="Europe/Oslo", latitude=59.9, longitude=10.7)
        create_user(s, email="o@example.org", password="password-o", role="patient",
                    timezone="UTC")
        for day, text in ((2, "Imigran 50"), (5, "imigran  50"), (8, "Ibux")):
            record_attack(s, a, AttackInput(started_at=datetime(2026, 1, day, 9, tzinfo=UTC),
                                            medication=text))
        return a.id


def _login(client, email, password):
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302


def test_list_chips_follow_up_and_mapping(client, session_factory, patient):
    _login(client, "m@example.org", "password-m")
    assert client.post("/medications", data={"name": "Sumatriptan 50 mg",
                                             "drug_class": "triptan"}).status_code == 302
    assert client.post("/medications", data={"name": "Ibuprofen",
                                             "drug_class": "simple_analgesic"}).status_code == 302
    page = client.get("/medications").get_data(as_text=True)
    assert "Sumatriptan 50 mg" in page and "2 medication" in page  # two unmapped texts
    with session_factory() as s:
        meds = {m.name: m.id for m in s.scalars(select(Medication))}
    suma, ibu = meds["Sumatriptan 50 mg"], meds["Ibuprofen"]
    # the attack form shows the chips; one chosen with doses and "partly"
    form = client.get("/attacks").get_data(as_text=True)
    assert re.search(rf'name="medications" value="{suma}"', form)
    response = client.post("/attacks", data={
        "started_at": "2026-02-03T07:15", "kind": "migraine", "medication_helped": "",
        "expected_weather": "", "function": "reduced", "medications_shown": "1",
        "medications": str(suma), f"doses-{suma}": "2", f"helped-{suma}": "partly"})
    assert response.status_code == 302
    with session_factory() as s:
        attack = s.scalars(select(Attack).where(Attack.function.is_not(None))).one()
        taken = s.scalars(select(AttackMedication)).one()
        assert (attack.function, taken.medication_id, taken.doses, taken.helped) == (
            "reduced", suma, 2, "partly")
    # the edit form keeps them; unticking removes them
    edit = client.get(f"/attacks/{attack.id}/edit").get_data(as_text=True)
    assert re.search(rf'value="{suma}" checked', edit)
    assert re.search(r'<option (selected )?value="reduced"( selected)?', edit).group(0) != (
        '<option value="reduced"')
    # the follow-up page: one tap adds, another says it helped
    assert client.post(f"/attacks/{attack.id}/now",
                       data={"toggle_medication": str(ibu)}).status_code == 302
    assert client.post(f"/attacks/{attack.id}/now",
                       data={f"helped-{ibu}": "yes"}).status_code == 302
    with session_factory() as s:
        rows = {r.medication_id: r.helped for r in s.scalars(select(AttackMedication))}
    assert rows == {suma: "partly", ibu: "yes"}
    # mapping: both spellings of "Imigran 50" are one text with 2 attacks
    page = client.get("/medications/map").get_data(as_text=True)
    assert "Imigran 50" in page and "Ibux" in page
    assert client.post("/medications/map", data={"text": "Imigran 50",
                                                  "medication_id": str(suma)}).status_code == 302
    page = client.get("/medications/map").get_data(as_text=True)
    assert 'value="Imigran 50"' not in page and 'value="Ibux"' in page
    with session_factory() as s:
        assert s.scalars(select(MedicationAlias.text)).all() == ["imigran 50"]
    # archive hides it from the form, the list keeps it
    client.post(f"/medications/{ibu}/archive", data={"archived": "yes"})
    form = client.get("/attacks").get_data(as_text=True)
    assert f'name="medications" value="{ibu}"' not in form
    assert "Ibuprofen" in client.get("/medications").get_data(as_text=True)


def test_someone_elses_medication_cannot_be_used(client, session_factory, patient):
    _login(client, "m@example.org", "password-m")
    client.post("/medications", data={"name": "Rizatriptan", "drug_class": "triptan"})
    with session_factory() as s:
        med_id = s.scalars(select(Medication.id)).one()
    client.post("/logout")
    _login(client, "o@example.org", "password-o")
    client.post(f"/medications/{med_id}/archive", data={"archived": "yes"})
    client.post("/attacks", data={
        "started_at": "2026-02-03T07:15", "kind": "migraine", "medication_helped": "",
        "expected_weather": "", "medications_shown": "1", "medications": str(med_id)})
    client.post("/medications/map", data={"text": "x", "medication_id": str(med_id)})
    with session_factory() as s:
        assert s.get(Medication, med_id).archived is False
        assert s.scalars(select(AttackMedication)).all() == []
        assert s.scalars(select(MedicationAlias)).all() == []


def test_undo_of_a_deleted_attack_brings_its_medications_back(client, session_factory,
                                                              patient):
    _login(client, "m@example.org", "password-m")
    client.post("/medications", data={"name": "Rizatriptan", "drug_class": "triptan"})
    with session_factory() as s:
        med_id = s.scalars(select(Medication.id)).one()
    client.post("/attacks", data={
        "started_at": "2026-02-03T07:15", "ended_at": "2026-02-03T09:00", "kind": "migraine",
        "medication_helped": "", "expected_weather": "", "medications_shown": "1",
        "medications": str(med_id), f"doses-{med_id}": "1", f"helped-{med_id}": "yes"})
    with session_factory() as s:
        attack_id = s.scalars(select(AttackMedication.attack_id)).one()
    deleted = client.post(f"/attacks/{attack_id}/delete").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', deleted).group(1)
    with session_factory() as s:
        assert s.scalars(select(AttackMedication)).all() == []
    assert client.post("/restore", data={"token": token}).status_code == 302
    with session_factory() as s:
        back = s.scalars(select(AttackMedication)).one()
        assert (back.medication_id, back.doses, back.helped) == (med_id, 1, "yes")
