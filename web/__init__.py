"""The Flask application factory (flaskr style): ``create_app(test_config=None)``."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from web import openapi
from web.extensions import csrf, login_manager


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the web app; ``test_config`` may carry SETTINGS, DATABASE_URL or Flask keys."""
    from tracker.database import (
        make_engine,
        make_session_factory,
        make_writer_session_factory,
    )
    from tracker.settings import Settings, load_settings

    # APIFlask is Flask plus the OpenAPI document built from the API's schemas; its own
    # spec and docs routes and its JSON errors for the pages are off (web.openapi serves
    # the document, web.errors answers errors).
    app = APIFlask(__name__, title="migraine-weather API", version="1.0.0", spec_path=None,
                   docs_path=None, json_errors=False, instance_path=str(Path.cwd() / "instance"))
    test_config = dict(test_config or {})
    settings: Settings = test_config.pop("SETTINGS", None) or load_settings(
        test_config.pop("CONFIG_PATH", None)
    )
    database_url = test_config.pop("DATABASE_URL", None) or settings.database.url
    app.config.from_mapping(
        SECRET_KEY=settings.web.secret_key or _instance_secret(Path(app.instance_path)),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.web.session_cookie_secure,
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    openapi.configure(app)
    app.config.update(test_config)
    app.extensions["mw_settings"] = settings
    engine = test_config.get("ENGINE") or make_engine(database_url)
    app.extensions["mw_engine"] = engine
    app.extensions["mw_session_factory"] = make_session_factory(engine)
    app.extensions["mw_writer_session_factory"] = make_writer_session_factory(engine)

    if settings.web.proxy_hops:
        hops = settings.web.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    csrf.init_app(app)
    login_manager.init_app(app)

    from web import account, api, auth, dashboard, diary, errors, pages, places, security, sharing

    errors.init_app(app)  # first: the ``id`` URL converter is needed by the blueprints
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(diary.bp)
    app.register_blueprint(sharing.bp)
    app.register_blueprint(dashboard.bp)
    from web import imports  # the import of a past diary (issue #14)

    app.register_blueprint(imports.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(places.bp)
    from web import practice  # PRT practice, period days, trigger chips (issue #16)

    app.register_blueprint(practice.bp)
    from web import medications  # the medication list and its chips (issue #16)

    app.register_blueprint(medications.bp)
    from web import pwa  # the service worker, offline page and offline queue (issue #15)

    app.register_blueprint(pwa.bp)
    csrf.exempt(api.bp)  # bearer tokens only: a cookie never authenticates an API request
    security.init_app(app)
    from web import reminders  # reminder e-mails and password reset (their own blueprints)

    reminders.init_app(app)
    from web import pdf, questionnaires  # questionnaires and the report's PDF (issue #16)

    app.register_blueprint(questionnaires.bp)
    app.register_blueprint(pdf.bp)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()

    return app


def _instance_secret(instance: Path) -> str:
    """Return a secret key kept in the instance folder, created on first start."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
