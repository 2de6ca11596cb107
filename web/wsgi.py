"""WSGI entry point for gunicorn: ``gunicorn 'web.wsgi:app'`` (settings from the environment)."""

from __future__ import annotations

from web import create_app

app = create_app()
