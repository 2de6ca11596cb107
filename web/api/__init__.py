"""The JSON API under /api/v1 (bearer tokens only; see docs/api.md and /api/openapi.json)."""

from __future__ import annotations

from web.api import diary, imports, medications, people, practice, questionnaires, reminders
from web.api.core import bp

__all__ = ["bp", "diary", "imports", "medications", "people", "practice", "questionnaires",
           "reminders"]
