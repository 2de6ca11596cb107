"""The medication list and an attack's medications and function over the API (issue #16);
on both databases; the OpenAPI document states the new fields from their rules."""

from __future__ import annotations

from tests.web.conftest import bearer, make_world


def test_list_attack_medications_and_function(app, session_factory):
    world = make_world(session_factory, ("a", "b"))
    client = app.test_client()
    h, hb = bearer(world.tokens["a"]), bearer(world.tokens["b"])
    suma = client.post("/api/v1/medications", headers=h,
                       json={"name": "Sumatriptan", "drug_class": "triptan"})
    assert suma.status_code == 201 and suma.get_json()["uses"] == 0
    suma_id = suma.get_json()["id"]
    ibu_id = client.post("/api/v1/medications", headers=h,
                         json={"name": "Ibuprofen"}).get_json()["id"]
    assert client.post("/api/v1/medications", headers=h,
                       json={"name": "SUMATRIPTAN"}).status_code == 409
    bad = client.post("/api/v1/medications", headers=h, json={"name": "x", "drug_class": "pill"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "drug_class"

    created = client.post("/api/v1/attacks", headers=h, json={
        "started_at": "2026-01-20T08:00:00+00:00", "function": "unable",
        "medications": [{"medication_id": suma_id, "doses": 2, "helped": "partly"}]})
    assert created.status_code == 201, created.get_json()
    attack = created.get_json()
    assert attack["function"] == "unable"
    assert attack["medications"] == [{"medication_id": suma_id, "doses": 2, "helped": "partly",
                                      "name": "Sumatriptan", "drug_class": "triptan"}]
    # PATCH without medications keeps them; with them replaces them
    path = f"/api/v1/attacks/{attack['id']}"
    kept = client.patch(path, headers=h, json={"intensity": 5}).get_json()
    assert kept["medications"] == attack["medications"]
    changed = client.patch(path, headers=h, json={
        "function": None, "medications": [{"medication_id": ibu_id}]}).get_json()
    assert changed["function"] is None
    assert [(m["medication_id"], m["doses"], m["helped"]) for m in changed["medications"]] == [
        (ibu_id, None, None)]
    listed = client.get("/api/v1/medications", headers=h).get_json()["items"]
    assert [m["name"] for m in listed] == ["Ibuprofen", "Sumatriptan"]
    items = client.get("/api/v1/attacks", headers=h).get_json()["items"]
    assert {a["id"]: [m["name"] for m in a["medications"]] for a in items}[attack["id"]] == [
        "Ibuprofen"]
    # archive; someone else's entry is not found; bad values are refused
    archived = client.patch(f"/api/v1/medications/{suma_id}", headers=h,
                            json={"archived": True}).get_json()
    assert archived["archived"] is True
    assert client.patch(f"/api/v1/medications/{suma_id}", headers=hb,
                        json={"archived": False}).status_code == 404
    other = client.post("/api/v1/attacks", headers=hb, json={
        "started_at": "2026-01-20T08:00:00+00:00", "medications": [{"medication_id": suma_id}]})
    assert other.status_code == 400
    assert other.get_json()["error"]["field"] == "medication_id"
    for bad_body in ({"function": "sometimes"},
                     {"medications": [{"medication_id": ibu_id, "doses": 21}]},
                     {"medications": [{"medication_id": ibu_id, "helped": "maybe"}]}):
        response = client.patch(path, headers=h, json=bad_body)
        assert response.status_code == 400, bad_body


def test_the_document_states_the_new_fields(app):
    doc = app.test_client().get("/api/openapi.json").get_json()["components"]["schemas"]
    function = doc["AttackInput"]["properties"]["function"]
    assert function["enum"] == ["normal", "reduced", "unable", None] and function["nullable"]
    taken = doc["AttackMedicationInput"]["properties"]
    assert (taken["doses"]["minimum"], taken["doses"]["maximum"]) == (1, 20)
    assert taken["helped"]["enum"] == ["yes", "partly", "no", None]
    assert doc["MedicationInput"]["properties"]["drug_class"]["enum"][0] == "triptan"
    assert "medications" in doc["Attack"]["required"]
    assert "/api/v1/medications" in app.test_client().get("/api/openapi.json").get_json()[
        "paths"]
