"""Town search for the registration, settings and locations pages (tracker.places, offline).

``GET /places/search?q=bergen`` answers ``{"query": ..., "places": [{name, region, country,
country_code, latitude, longitude, timezone, population, also_known_as, label}, ...]}``. It is
open without login (registration uses it), never cached, length-limited, and limited per
address (in memory, per worker); the query is answered from the bundled gazetteer and sent
nowhere else.
"""

from __future__ import annotations

import math
import threading
import time

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from tracker.errors import ValidationError
from tracker.places import search_places
from web.errors import json_error

bp = Blueprint("places", __name__)

#: Searches one address may make per minute in one worker process (the page sends one per
#: pause in typing, so a person stays far below it).
SEARCHES_PER_MINUTE = 120


class FixedWindow:
    """Count requests per key in fixed windows, in memory (one process; no database write
    per keystroke). Holds at most ``max_keys`` keys: when full, a new window starts for all."""

    def __init__(self, limit: int, seconds: float = 60.0, max_keys: int = 10_000) -> None:
        self.limit, self.seconds, self.max_keys = limit, seconds, max_keys
        self._counts: dict[str, int] = {}
        self._started = -math.inf
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float | None = None) -> int | None:
        """Count one request of ``key``; return None if allowed, else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if now - self._started >= self.seconds or len(self._counts) >= self.max_keys:
                self._counts.clear()
                self._started = now
            count = self._counts[key] = self._counts.get(key, 0) + 1
            if count <= self.limit:
                return None
            return max(1, math.ceil(self._started + self.seconds - now))


def _window() -> FixedWindow:
    """The app's search limiter (one per app, so tests and apps do not share counts)."""
    return current_app.extensions.setdefault(
        "mw_places_window", FixedWindow(SEARCHES_PER_MINUTE))


@bp.get("/places/search")
def search() -> ResponseReturnValue:
    """Return the towns whose name starts with ``q`` (see tracker.places.PlaceIndex.search)."""
    query = request.args.get("q", "")
    wait = _window().retry_after(request.remote_addr or "")
    if wait is not None:
        response = json_error(429, "too many searches; please wait a moment")
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        places = search_places(query)
    except ValidationError as exc:
        return json_error(400, exc.message, exc.field)
    response: Response = jsonify({"query": query, "places": [p.as_dict() for p in places]})
    response.headers["Cache-Control"] = "no-store"
    return response
