"""One export path per kind, one error handler for the domain's refusals, imports at the top
(issue #11, item 4)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.web.conftest import bearer, login, make_world
from tracker.accounts.audit import record_event
from tracker.errors import NotFoundError, PermissionDeniedError
from tracker.models import AuditEvent, User
from web.db import db_session

KINDS = ("attacks", "daily", "pressure", "summary")
WEB = Path(__file__).resolve().parents[2] / "web"


@pytest.fixture
def people(app, session_factory):
    world = make_world(session_factory, ("a", "linked"))
    page = app.test_client()
    assert login(page, world.emails["linked"]).status_code == 302
    return world, page


def _exports(session_factory, world) -> list[tuple[str, str]]:
    with session_factory() as s:
        return [(e.action, e.detail) for e in s.query(AuditEvent).filter_by(
            patient_id=world.ids["a"], actor_id=world.ids["linked"]) if "export" in e.action]


def test_every_route_answers_an_export_with_the_same_file_and_headers(app, people,
                                                                     session_factory):
    world, page = people
    a = world.ids["a"]
    api = app.test_client()
    for kind in KINDS:
        urls = [f"/patients/{a}/export/{kind}.csv", f"/api/v1/patients/{a}/export/{kind}"]
        if kind == "attacks":
            urls.append(f"/patients/{a}/attacks.csv")  # the first address, kept working
        answers = [api.get(u, headers=bearer(world.tokens["linked"])) if u.startswith("/api/")
                   else page.get(u) for u in urls]
        for url, response in zip(urls, answers, strict=True):
            assert response.status_code == 200, url
            assert response.mimetype == "text/csv", url
            assert response.headers["Content-Disposition"] == (
                f'attachment; filename="migraine-weather-{kind}-{a}.csv"'), url
            assert response.headers["Cache-Control"] == "no-store, private", url
        if kind != "summary":  # the summary carries the instant it was made
            assert len({r.get_data() for r in answers}) == 1, kind  # the same text everywhere
    logged = _exports(session_factory, world)
    assert sorted(logged) == sorted(
        [(f"export_{k}", "csv") for k in KINDS] + [(f"export_{k}", "api") for k in KINDS]
        + [("export_attacks", "csv")])


def test_an_unknown_export_is_not_found_on_pages_and_in_the_api(app, people):
    world, page = people
    a = world.ids["a"]
    response = page.get(f"/patients/{a}/export/secrets.csv")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Not medical advice" in response.get_data(as_text=True)  # the site's error page
    answer = app.test_client().get(f"/api/v1/patients/{a}/export/secrets",
                                   headers=bearer(world.tokens["linked"]))
    assert answer.status_code == 404 and answer.get_json()["error"]["field"] == "kind"


@pytest.fixture
def refusing_app(app):
    """The app with two routes (a page and an API path) that write, then meet a refusal."""

    def refuse(kind: str, patient_id: int):
        session = db_session()
        record_event(session, actor=None, patient_id=patient_id, action="probe")
        if kind == "missing":
            raise NotFoundError(f"no probe {patient_id}", "id")
        raise PermissionDeniedError("probes are not allowed", "probe")

    app.add_url_rule("/probe/<kind>/<int:patient_id>", "probe_page", refuse)
    app.add_url_rule("/api/probe/<kind>/<int:patient_id>", "probe_api", refuse)
    return app


def test_a_page_that_meets_a_refusal_answers_404_or_403_and_keeps_nothing(
        refusing_app, session_factory):
    world = make_world(session_factory, ("a",))
    client = refusing_app.test_client()
    a = world.ids["a"]
    for kind, status, message in (("missing", 404, f"No probe {a}."),
                                  ("denied", 403, "Probes are not allowed.")):
        page = client.get(f"/probe/{kind}/{a}")
        assert page.status_code == status and page.mimetype == "text/html"
        body = page.get_data(as_text=True)
        assert message in body and "Not medical advice" in body
        api = client.get(f"/api/probe/{kind}/{a}")
        assert api.status_code == status
        assert api.get_json()["error"]["message"] == message[0].lower() + message[1:-1]
    with session_factory() as s:
        assert s.get(User, a) is not None
        assert s.query(AuditEvent).filter_by(action="probe").count() == 0  # rolled back


def _modules() -> list[Path]:
    """The web modules besides the app factory (web/api/ has its own owner and rules)."""
    return [p for p in sorted(WEB.glob("*.py")) if p.name != "__init__.py"]


def test_web_modules_import_at_the_top():
    inside = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inside += [f"{path.name}:{n.lineno}" for n in ast.walk(node)
                           if isinstance(n, ast.Import | ast.ImportFrom)]
    assert inside == []


def test_no_page_catches_not_found_by_hand():
    caught = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None and (
                    "NotFoundError" in ast.unparse(node.type)):
                caught.append(f"{path.name}:{node.lineno}")
    assert caught == []
