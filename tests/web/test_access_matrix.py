"""Every rule of the URL map, for every kind of person, with page sessions and API tokens.

A route that has no entry in EXPECT fails the test, so a new route must say who may use it.
Any 500, any status outside the expected set, a login page missing for an anonymous visitor,
or a secret note shown to someone who may not read it, fails the test.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import SECRET_A, SECRET_B, bearer, login

ACTORS = ("anonymous", "b", "linked", "unlinked", "admin", "a")  # a last: a deletes things
CLINICIANS = ("linked", "unlinked")
LOGIN = frozenset({"login"})  # a redirect to the login page
PAGE_OK = frozenset({200, 201, 302, 400})  # done, or the form is shown again with errors
API_OK = frozenset({200, 201, 204, 400, 409})

Rule = Callable[[str], frozenset]


def _page(patients: frozenset = PAGE_OK, others: frozenset = frozenset({403})) -> Rule:
    """A page only patients use (others get 403)."""
    return lambda who: LOGIN if who == "anonymous" else (
        patients if who in ("a", "b") else others)


def _own_page(who: str) -> frozenset:
    """A page about one of patient a's records."""
    if who == "anonymous":
        return LOGIN
    return {"a": PAGE_OK, "b": frozenset({404})}.get(who, frozenset({403}))


def _clinician_page(who: str) -> frozenset:
    if who == "anonymous":
        return LOGIN
    return PAGE_OK if who in CLINICIANS else frozenset({403})


def _patient_view(who: str) -> frozenset:
    """A clinician's read-only view of patient a."""
    if who == "anonymous":
        return LOGIN
    return {"linked": frozenset({200}), "unlinked": frozenset({404})}.get(who, frozenset({403}))


def _export(who: str) -> frozenset:
    if who == "anonymous":
        return LOGIN
    return {"a": frozenset({200}), "linked": frozenset({200}), "b": frozenset({404}),
            "unlinked": frozenset({404})}.get(who, frozenset({403}))


def _logged_in(who: str) -> frozenset:
    return LOGIN if who == "anonymous" else PAGE_OK


def _token_revoke(who: str) -> frozenset:
    """Revoking patient a's spare token."""
    if who == "anonymous":
        return LOGIN
    return frozenset({302}) if who == "a" else frozenset({404})


def _code_revoke(who: str) -> frozenset:
    """Revoking one of patient a's share codes (already redeemed, so none is pending)."""
    if who == "anonymous":
        return LOGIN
    return {"a": frozenset({302, 404}), "b": frozenset({404})}.get(who, frozenset({403}))


def _pdf(who: str) -> frozenset:
    """The report's PDF: as the report page; 302 back to it when Chromium is missing."""
    return _export(who) | ({302} if who in ("a", "linked") else set())


def _public(who: str) -> frozenset:
    return frozenset({200, 302, 400, 401})


def _index(who: str) -> frozenset:
    if who == "anonymous":
        return LOGIN
    return frozenset({200}) if who == "admin" else frozenset({302})


def _api_patient(who: str) -> frozenset:
    if who == "anonymous":
        return frozenset({401})
    return API_OK if who in ("a", "b") else frozenset({403})


def _api_own(who: str) -> frozenset:
    """An API operation on one of patient a's records."""
    if who == "anonymous":
        return frozenset({401})
    return {"a": API_OK, "b": frozenset({404})}.get(who, frozenset({403}))


def _api_any(who: str) -> frozenset:
    return frozenset({401}) if who == "anonymous" else frozenset({200})


def _api_clinician(who: str) -> frozenset:
    if who == "anonymous":
        return frozenset({401})
    return frozenset({200}) if who in CLINICIANS else frozenset({403})


def _api_redeem(who: str) -> frozenset:
    if who == "anonymous":
        return frozenset({401})
    return frozenset({201, 400}) if who in CLINICIANS else frozenset({403})


def _api_admin(who: str) -> frozenset:
    if who == "anonymous":
        return frozenset({401})
    return frozenset({200}) if who == "admin" else frozenset({403})


def _api_report(who: str) -> frozenset:
    if who == "anonymous":
        return frozenset({401})
    return {"a": frozenset({200}), "linked": frozenset({200}), "b": frozenset({404}),
            "unlinked": frozenset({404})}.get(who, frozenset({403}))


def _upload(who: str) -> frozenset:
    """An import upload (by a made-up id, so nobody's: patients get 404)."""
    if who == "anonymous":
        return LOGIN
    return frozenset({404}) if who in ("a", "b") else frozenset({403})


def _api_upload(who: str) -> frozenset:
    if who == "anonymous":
        return frozenset({401})
    return frozenset({404}) if who in ("a", "b") else frozenset({403})


def _queue(who: str) -> frozenset:
    """The phone's offline queue (JSON with a page session): 401 rather than a redirect."""
    if who == "anonymous":
        return frozenset({401})
    return frozenset({200, 201, 400, 404, 409}) if who in ("a", "b") else frozenset({403})


#: endpoint -> who (the identity the request carries) -> the statuses that are allowed.
EXPECT: dict[str, Rule] = {
    "static": _public,
    "pages.about": _public,
    "pages.index": _index,
    "auth.login": _public,
    "auth.register": _public,
    "auth.logout": lambda who: frozenset({302}),
    "openapi.openapi_json": _public,
    "places.search": _public,
    "account.password": _logged_in,
    "account.tokens": _logged_in,
    "account.revoke": _token_revoke,
    "account.logout_everywhere": lambda who: LOGIN if who == "anonymous" else frozenset({302}),
    "diary.attacks": _page(),
    "diary.checkins": _page(),
    "diary.checkins_fill": _page(),
    "diary.courses": _page(),
    "diary.locations": _page(),
    "diary.settings_page": _page(),
    "diary.edit": _own_page,
    "diary.end": _own_page,
    "diary.delete": _own_page,
    "diary.course_edit": _own_page,
    "diary.course_delete": _own_page,
    "diary.location_delete": _own_page,
    "diary.checkin_delete": _own_page,
    "diary.log_now": _page(),
    "diary.follow_up": _own_page,
    "diary.restore": _page(),
    "sharing.sharing": _page(),
    "sharing.create_code": _page(),
    "sharing.revoke": _own_page,
    "sharing.revoke_code": _code_revoke,
    "sharing.audit": _page(),
    "sharing.patients": _clinician_page,
    "sharing.redeem": _clinician_page,
    "sharing.patient": _patient_view,
    "sharing.export": _export,
    "api.me": _api_any,
    "api.attacks_list": _api_patient,
    "api.attacks_create": _api_patient,
    "api.attacks_read": _api_own,
    "api.attacks_update": _api_own,
    "api.attacks_delete": _api_own,
    "api.attacks_end": _api_patient,
    "pwa.service_worker": _public,
    "pwa.offline_page": _public,
    "pwa.queue_state": _queue,
    "pwa.queue_create": _queue,
    "pwa.queue_end": _queue,
    "api.checkins_list": _api_patient,
    "api.checkins_create": _api_patient,
    "api.courses_list": _api_patient,
    "api.courses_create": _api_patient,
    "api.courses_read": _api_own,
    "api.courses_update": _api_own,
    "api.courses_delete": _api_own,
    "api.locations_list": _api_patient,
    "api.locations_create": _api_patient,
    "api.locations_delete": _api_own,
    "api.checkins_delete": _api_own,
    "api.patients": _api_clinician,
    "api.sharing_codes_list": _api_patient,
    "api.sharing_codes_revoke": _api_own,
    "api.sharing_redeem": _api_redeem,
    "api.report": _api_report,
    "api.admin_status": _api_admin,
    "api.export": _api_report,
    "reminders.settings_page": _page(),
    "reminders.unsubscribe": lambda who: frozenset({404}),  # no signed token: not found
    "password_reset.forgot": _public,
    "password_reset.reset": _public,
    "api.reminders_get": _api_patient,
    "api.reminders_put": _api_patient,
    "imports.upload": _page(),
    "imports.preview": _upload,
    "imports.confirm": _upload,
    "imports.cancel": _upload,
    "imports.mapping": _upload,
    "api.imports_create": _api_patient,
    "api.imports_read": _api_upload,
    "api.imports_confirm": _api_upload,
    "api.imports_delete": _api_upload,
    "dashboard.vega_bundle": _public,
    "dashboard.method": _public,
    "dashboard.patient_dashboard": _page(patients=frozenset({200})),
    "dashboard.patient_report_page": _export,
    "dashboard.export_csv": _export,
    "dashboard.cohort": _clinician_page,
    "dashboard.cohort_power": _clinician_page,
    # issue #16: questionnaires (no window is open for a or b: 404) and the report's PDF
    "questionnaires.answer": _page(patients=frozenset({404})),
    "api.questionnaires_get": _api_patient,
    "api.questionnaires_put": _api_patient,
    "pdf.report_pdf": _pdf,
    # issue #16: practice log, period days, trigger tags, optional diary parts
    "practice.practice": _page(),
    "practice.practice_delete": _upload,  # a made-up id: nobody's
    "practice.cycle": _page(),
    "practice.diary_options": _page(),
    "api.practice_list": _api_patient,
    "api.practice_create": _api_patient,
    "api.practice_delete": _api_upload,  # a made-up id: nobody's
    "api.cycle_list": _api_patient,
    "api.cycle_mark": _api_patient,
    "api.cycle_unmark": _api_upload,  # a day nobody marked
    "api.triggers_get": _api_own,
    "api.triggers_put": _api_own,
    "api.options_patch": _api_patient,
    # issue #16: the medication list (a made-up id: nobody's) and its mapping page
    "medications.medications_page": _page(),
    "medications.archive": _upload,
    "medications.change_class": _upload,
    "medications.map_page": _page(),
    "api.medications_list": _api_patient,
    "api.medications_create": _api_patient,
    "api.medications_update": _api_upload,
}

#: Requests that end the session (run last of all).
LOGOUTS = frozenset({"auth.logout", "account.logout_everywhere"})

#: Requests that remove something (run after everything else; patient a's last of all).
DESTRUCTIVE = {
    "auth.logout", "account.logout_everywhere", "account.revoke", "sharing.revoke_code",
    "api.sharing_codes_revoke", "diary.delete", "diary.course_delete",
    "diary.location_delete", "diary.checkin_delete", "sharing.revoke", "api.attacks_delete",
    "api.courses_delete", "api.locations_delete", "api.checkins_delete",
}


def _requests(app, world) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule and method of the URL map."""
    values = {
        "attack_id": world.records["attack"], "course_id": world.records["course"],
        "period_id": world.records["location"],
        "checkin_id": world.records["checkin"], "link_id": world.records["link"],
        "token_id": world.records["token"], "patient_id": world.ids["a"],
        "code_id": world.records["code"],
        "instrument_id": "gad7", "timepoint": "baseline",
        "filename": "style.css", "digest": "0", "kind": "daily", "upload": "x" * 43,
        "entry_id": 2**31 - 1, "day": "1999-01-01", "medication_id": 2**31 - 1,
    }
    out = []
    for rule in app.url_map.iter_rules():
        url = app.url_map.bind("localhost").build(
            rule.endpoint, {n: values[n] for n in rule.arguments}, force_external=False
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return out


def _check(response, endpoint: str, method: str, url: str, who: str, actor: str,
           channel: str) -> list[str]:
    where = f"{actor} via {channel} (as {who}): {method} {url}"
    problems = []
    allowed = EXPECT[endpoint](who)
    if who == "a" and endpoint in DESTRUCTIVE:
        allowed = allowed | {404}  # a's other channel may have deleted it already
    status = response.status_code
    if allowed == LOGIN:
        location = response.headers.get("Location", "")
        if status != 302 or "/login" not in location:
            problems.append(f"{where}: {status} {location!r}, expected a redirect to /login")
    elif status not in allowed:
        problems.append(f"{where}: {status}, expected one of {sorted(allowed)}")
    body = response.get_data().decode("utf-8", "replace")  # a PDF is not UTF-8
    if who not in ("a", "linked") and SECRET_A in body:
        problems.append(f"{where}: leaks patient a's note")
    if who != "b" and SECRET_B in body:
        problems.append(f"{where}: leaks patient b's note")
    if "Content-Security-Policy" not in response.headers:
        problems.append(f"{where}: no Content-Security-Policy")
    is_redirect = 300 <= status < 400
    if response.mimetype == "text/html" and not is_redirect and "Not medical advice" not in body:
        problems.append(f"{where}: an HTML page without the footer")
    api_types = ("application/json", "text/csv") if endpoint == "api.export" else (
        "application/json",)
    if url.startswith("/api/") and status != 204 and response.mimetype not in api_types:
        problems.append(f"{where}: API answered {response.mimetype}")
    return problems


def test_every_route_follows_the_access_rules(app, world):
    requests = _requests(app, world)
    missing = sorted({endpoint for endpoint, _, _ in requests} - set(EXPECT))
    assert not missing, f"routes without an access rule in this test: {missing}"

    clients = {}
    for actor in ACTORS:
        if actor == "anonymous":
            clients[(actor, "none")] = app.test_client()
            continue
        session_client = app.test_client()
        assert login(session_client, world.emails[actor]).status_code == 302
        clients[(actor, "session")] = session_client
        clients[(actor, "token")] = app.test_client()

    def run(actor: str, channel: str, phase_destructive: bool) -> list[str]:
        client = clients[(actor, channel)]
        headers = bearer(world.tokens[actor]) if channel == "token" else {}
        problems = []
        ordered = sorted(requests, key=lambda r: r[0] in LOGOUTS)
        for endpoint, method, url in ordered:
            if (endpoint in DESTRUCTIVE) != phase_destructive:
                continue
            is_api = url.startswith("/api/v1/")
            carries = (channel == "token") if is_api else (channel == "session")
            who = actor if carries else "anonymous"
            if is_api:
                kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            else:
                kwargs = {"data": {}} if method == "POST" else {}
            response = client.open(url, method=method, headers=headers, **kwargs)
            problems += _check(response, endpoint, method, url, who, actor, channel)
        return problems

    problems: list[str] = []
    for destructive in (False, True):
        for actor, channel in clients:
            problems += run(actor, channel, destructive)
    assert not problems, "\n".join(problems)


def test_a_session_cookie_never_authenticates_the_api(app, world):
    client = app.test_client()
    login(client, world.emails["a"])
    assert client.get("/attacks").status_code == 200
    response = client.post("/api/v1/attacks", json={"started_at": "2026-03-01T08:00:00Z"})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/me").status_code == 401
