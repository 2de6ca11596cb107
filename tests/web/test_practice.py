"""The practice log, period days and trigger tags over the API and on the pages."""

from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import bearer, login, make_world
from tracker.diary.practice import PRACTICE_RULES


def _today(app, world):
    from tracker.diary.profile import local_today

    return local_today("Europe/Oslo")


def test_practice_api_record_replace_list_delete_and_validation(app, session_factory):
    world = make_world(session_factory, ("a", "b"))
    client = app.test_client()
    a, b = bearer(world.tokens["a"]), bearer(world.tokens["b"])
    today = _today(app, world)
    made = client.post("/api/v1/practice", headers=a, json={
        "somatic_tracking_minutes": 10, "weather_worry": 4})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["day"] == today.isoformat()
    assert body["reappraisal_minutes"] == 0 and body["weather_worry"] == 4
    again = client.post("/api/v1/practice", headers=a, json={
        "day": today.isoformat(), "other_minutes": 5})
    assert again.get_json()["id"] == body["id"] and again.get_json()["weather_worry"] is None
    assert len(client.get("/api/v1/practice", headers=a).get_json()["items"]) == 1
    assert client.get("/api/v1/practice", headers=b).get_json()["items"] == []
    bad = client.post("/api/v1/practice", headers=a, json={"weather_worry": 11})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "weather_worry"
    future = client.post("/api/v1/practice", headers=a, json={
        "day": (today + timedelta(days=2)).isoformat()})
    assert future.status_code == 400 and future.get_json()["error"]["field"] == "day"
    assert client.delete(f"/api/v1/practice/{body['id']}", headers=b).status_code == 404
    assert client.delete(f"/api/v1/practice/{body['id']}", headers=a).status_code == 204


def test_cycle_triggers_and_options_over_the_api(app, session_factory):
    world = make_world(session_factory, ("a", "b", "linked"))
    client = app.test_client()
    a, b = bearer(world.tokens["a"]), bearer(world.tokens["b"])
    attack = world.records["attack"]
    assert client.post("/api/v1/cycle-days", headers=bearer(world.tokens["linked"]),
                       json={}).status_code == 403
    marked = client.post("/api/v1/cycle-days", headers=a, json={"day": "2026-01-04"})
    assert marked.status_code == 201 and marked.get_json()["items"] == ["2026-01-04"]
    assert client.delete("/api/v1/cycle-days/2026-01-05", headers=a).status_code == 404
    assert client.delete("/api/v1/cycle-days/not-a-day", headers=a).status_code == 404
    assert client.delete("/api/v1/cycle-days/2026-01-04", headers=a).status_code == 204
    put = client.put(f"/api/v1/attacks/{attack}/triggers", headers=a,
                     json={"triggers": ["stress", "weather"]})
    assert put.status_code == 200 and put.get_json()["triggers"] == ["weather", "stress"]
    assert client.put(f"/api/v1/attacks/{attack}/triggers", headers=b,
                      json={"triggers": []}).status_code == 404
    bad = client.put(f"/api/v1/attacks/{attack}/triggers", headers=a,
                     json={"triggers": ["moon"]})
    assert bad.status_code == 400
    assert client.get(f"/api/v1/attacks/{attack}/triggers",
                      headers=a).get_json()["triggers"] == ["weather", "stress"]
    opts = client.patch("/api/v1/diary-options", headers=a, json={"tracks_triggers": True})
    assert opts.get_json() == {"tracks_triggers": True, "tracks_cycle": False}


def test_the_document_states_the_practice_rules(app):
    doc = app.test_client().get("/api/openapi.json").get_json()["components"]["schemas"]
    props = doc["PracticeInput"]["properties"]
    assert set(props) == set(PRACTICE_RULES)
    rule = PRACTICE_RULES["weather_worry"]
    assert (props["weather_worry"]["minimum"], props["weather_worry"]["maximum"]) == (
        rule.minimum, rule.maximum)
    assert "/api/v1/practice" in app.test_client().get("/api/openapi.json").get_json()["paths"]


def test_practice_page_saves_shows_the_count_and_refuses_bad_values(app, session_factory):
    world = make_world(session_factory, ("a",))
    client = app.test_client()
    login(client, world.emails["a"])
    page = client.get("/practice")
    assert page.status_code == 200 and "No practice logged in the last 7 days." in page.text
    saved = client.post("/practice", data={"somatic_tracking_minutes": "15",
                                           "reappraisal_minutes": "", "other_minutes": "",
                                           "weather_worry": "3"}, follow_redirects=True)
    assert saved.status_code == 200 and "Practised 1 of the last 7 days." in saved.text
    assert "15 min, weather worry 3/10" in saved.text
    bad = client.post("/practice", data={"weather_worry": "12"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    dash = client.get("/dashboard")
    assert "Practised 1 of the last 7 days." in dash.text


def test_trigger_chips_and_period_page_only_when_turned_on(app, session_factory):
    world = make_world(session_factory, ("a",))
    client = app.test_client()
    login(client, world.emails["a"])
    assert 'name="triggers"' not in client.get("/attacks").text
    assert client.get("/cycle").status_code == 302
    settings = client.get("/settings").text
    assert 'name="tracks_triggers"' in settings and "checked" not in settings.split(
        "diary-options-h")[1]
    client.post("/settings/diary-options", data={"tracks_triggers": "on",
                                                 "tracks_cycle": "on"})
    attack = world.records["attack"]
    edit = client.get(f"/attacks/{attack}/edit")
    assert edit.text.count('name="triggers"') == 8
    form = {"started_at": "2026-01-02T10:00", "ended_at": "2026-01-02T16:00",
            "kind": "migraine", "intensity": "6", "medication_helped": "",
            "expected_weather": "", "function": "", "notes": "", "triggers_shown": "1",
            "triggers": ["sleep", "weather"]}
    done = client.post(f"/attacks/{attack}/edit", data=form)
    assert done.status_code == 302, done.text
    token = bearer(world.tokens["a"])
    assert client.get(f"/api/v1/attacks/{attack}/triggers",
                      headers=token).get_json()["triggers"] == ["weather", "sleep"]
    marked = client.post("/cycle", follow_redirects=True)
    assert "Today is marked." in marked.text
    today = _today(app, world).isoformat()
    removed = client.post("/cycle", data={"remove": today}, follow_redirects=True)
    assert f"{today} is no longer marked." in removed.text
    assert client.post("/cycle", data={"remove": today}).status_code == 404
    assert client.post("/cycle", data={"remove": "not-a-day"}).status_code == 404


def _diary_with_practice(session_factory, world):
    from datetime import date

    from tracker.diary.practice import record_practice
    from tracker.diary.triggers import set_tracking, set_triggers
    from tracker.models import User

    with session_factory.begin() as s:
        a = s.get(User, world.ids["a"])
        for day, worry in ((date(2025, 12, 20), 7), (date(2025, 12, 28), 6),
                           (date(2026, 1, 5), 8), (date(2026, 3, 1), 3), (date(2026, 3, 2), 4),
                           (date(2026, 3, 9), 2)):
            record_practice(s, a, day, {"somatic_tracking_minutes": 15}, worry)
        set_tracking(s, a, triggers=True, cycle=True)
        set_triggers(s, a, world.records["attack"], ["weather", "sleep"])


def test_report_pages_show_practice_beside_the_outcome(app, session_factory):
    world = make_world(session_factory, ("a", "linked"))
    _diary_with_practice(session_factory, world)
    client = app.test_client()
    login(client, world.emails["linked"])
    page = client.get(f"/patients/{world.ids['a']}/report").text
    assert 'id="spec-practice"' in page and "Practice days per week" in page
    assert "Welch; 3 and 3 daily ratings" in page
    assert "You marked 1 attack as weather-related" in page
    assert "Period days recorded" in page
    mine = app.test_client()
    login(mine, world.emails["a"])
    dash = mine.get("/dashboard").text
    assert 'id="spec-practice"' in dash and "the data fit anything from" in dash
    assert "Welch" not in dash and "95% CI" not in dash.split('id="practice-h"')[1]
    report = mine.get(f"/api/v1/patients/{world.ids['a']}/report",
                      headers=bearer(world.tokens["a"])).get_json()
    change = report["clinical"]["practice"]["weather_worry_change"]
    assert change["estimate"] == -4.0 and change["ci_low"] < -4.0 < change["ci_high"]


def test_daily_export_carries_practice_worry_period_days_and_triggers(app, session_factory):
    import csv
    import io
    from datetime import date

    from tracker.diary.cycle import mark_cycle_day
    from tracker.models import User

    world = make_world(session_factory, ("a",))
    _diary_with_practice(session_factory, world)
    with session_factory.begin() as s:
        mark_cycle_day(s, s.get(User, world.ids["a"]), date(2026, 1, 5))
    client = app.test_client()
    login(client, world.emails["a"])
    body = client.get(f"/patients/{world.ids['a']}/export/daily.csv").text
    rows = {r["date"]: r for r in csv.DictReader(io.StringIO(body))}
    assert list(rows["2026-01-05"])[-4:] == ["practice_minutes", "weather_worry", "cycle_day",
                                             "triggers"]
    assert (rows["2026-01-05"]["practice_minutes"], rows["2026-01-05"]["weather_worry"],
            rows["2026-01-05"]["cycle_day"]) == ("15", "8", "true")
    assert rows["2026-01-02"]["triggers"] == "weather;sleep"  # the attack's local start day
    assert rows["2026-01-03"]["practice_minutes"] == "" and rows["2026-01-03"]["triggers"] == ""
