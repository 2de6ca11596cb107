"""A fake Open-Meteo server on 127.0.0.1: forecast (past_days) and archive endpoints.

Values are a deterministic function of the coordinates and the hour, so a test can compare
what was stored with what was served. ``script`` queues faults ("429", "500", "400",
"garbage") that the next requests answer with, one per request.
"""

from __future__ import annotations

import json
import math
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MINUTELY = "Minutely API request limit exceeded. Please try again in one minute."


def served_pressure(lat: float, lon: float, t: int) -> float:
    """The surface pressure (hPa) the fake serves for a location and unix hour."""
    return round(1005.0 + lat / 10.0 - lon / 100.0 + 8.0 * math.sin(t / 150_000.0), 2)


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenMeteo

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        server = self.server
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with server.lock:
            server.requests.append((url.path, query))
            action = server.script.pop(0) if server.script else None
        if action == "429":
            return self._send(429, {"error": True, "reason": MINUTELY})
        if action == "500":
            return self._send(500, {"error": True, "reason": "Something went wrong."})
        if action == "400":
            return self._send(400, {"error": True, "reason": "Latitude must be in range"})
        if action == "garbage":
            return self._send(200, b"<html>not json")
        today = server.today()
        if url.path.endswith("/archive"):
            first = date.fromisoformat(query["start_date"])
            last = date.fromisoformat(query["end_date"])
            available = today - timedelta(days=server.archive_lag_days)
        elif url.path.endswith("/forecast"):
            first = today - timedelta(days=int(query.get("past_days", 0)))
            last = today + timedelta(days=int(query.get("forecast_days", 7)) - 1)
            available = last
        else:
            return self._send(404, {"error": True, "reason": "Not Found"})
        start = int(datetime.combine(first, datetime.min.time(), UTC).timestamp())
        times = list(range(start, start + ((last - first).days + 1) * 86_400, 3600))
        cutoff = datetime.combine(available + timedelta(days=1), datetime.min.time(), UTC)
        limit = int(cutoff.timestamp())
        items = []
        lats = [float(x) for x in query["latitude"].split(",")]
        lons = [float(x) for x in query["longitude"].split(",")]
        for lat, lon in zip(lats, lons, strict=True):
            surface = [served_pressure(lat, lon, t) if t < limit else None for t in times]
            items.append({
                "latitude": lat, "longitude": lon, "generationtime_ms": 0.1,
                "utc_offset_seconds": 0, "timezone": "GMT", "timezone_abbreviation": "GMT",
                "elevation": 50.0,
                "hourly_units": {"time": "unixtime", "surface_pressure": "hPa",
                                 "pressure_msl": "hPa"},
                "hourly": {"time": times, "surface_pressure": surface,
                           "pressure_msl": [None if v is None else round(v + 6.0, 2)
                                            for v in surface]},
            })
        self._send(200, items if len(items) > 1 else items[0])


class FakeOpenMeteo(ThreadingHTTPServer):
    """The fake server; ``base_url`` + /v1/forecast or /v1/archive."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Stay quiet when a client hung up early (timeouts, killed processes)."""

    def __init__(self, archive_lag_days: int = 5) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.script: list[str] = []
        self.archive_lag_days = archive_lag_days
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @staticmethod
    def today() -> date:
        """The server's idea of today (UTC)."""
        return datetime.now(UTC).date()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def config_toml(self, **open_meteo: object) -> str:
        """A config file pointing the service at this server (plus extra open_meteo keys)."""
        lines = [
            "[weather.open_meteo]",
            f'forecast_url = "{self.base_url}/v1/forecast"',
            f'archive_url = "{self.base_url}/v1/archive"',
            "backoff_seconds = 0.0",
        ]
        lines += [f"{k} = {json.dumps(v)}" for k, v in open_meteo.items()]
        return "\n".join(lines) + "\n"

    def start(self) -> FakeOpenMeteo:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
        self._thread.join(5)
