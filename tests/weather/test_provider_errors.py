"""The fetching layer knows providers only through weather.errors.ProviderError.

A small provider written here (not Open-Meteo) raises the base classes; fetching, storing and
the backfill must log and skip its failed batches exactly as they do Open-Meteo's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pytest
import requests
import responses
from sqlalchemy import func, select

from weather.backfill import backfill
from weather.errors import (
    ProviderError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderResponseError,
    ProviderServerError,
    ProviderUnreachableError,
)
from weather.fetching import fetch_and_store_archive, fetch_and_store_recent
from weather.grid import get_or_create_cell
from weather.models import FetchLog, PressureObservation
from weather.open_meteo import (
    OpenMeteoConnectionError,
    OpenMeteoError,
    OpenMeteoRateLimitError,
    OpenMeteoRequestError,
    OpenMeteoResponseError,
    OpenMeteoServerError,
)

NOW = datetime(2024, 1, 1, 2, 30, tzinfo=UTC)
T0 = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())


@dataclass
class Series:
    hours_utc: np.ndarray
    surface_pressure_hpa: np.ndarray
    msl_hpa: np.ndarray


class OtherProvider:
    """A provider client that answers from a script: a list of series, or an error to raise."""

    provider = "other"

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.last_attempts = 0

    def _answer(self, locations: Sequence[tuple[float, float]]) -> list[Series]:
        self.last_attempts = 1
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        hours = T0 + 3600 * np.arange(3, dtype=np.int64)
        return [Series(hours, np.full(3, 1000.0), np.full(3, 1013.0)) for _ in locations]

    def get_recent(self, locations, past_days):
        return self._answer(locations)

    def get_archive(self, locations, start_date, end_date):
        return self._answer(locations)


@pytest.fixture
def cells(session):
    made = [get_or_create_cell(session, 52.52, 13.41), get_or_create_cell(session, 48.85, 2.35)]
    session.commit()
    return made


def _logs(session):
    return session.scalars(select(FetchLog).order_by(FetchLog.id)).all()


def _stored(session, cell_id):
    query = select(func.count()).select_from(PressureObservation)
    return session.scalar(query.where(PressureObservation.cell_id == cell_id))


def test_a_base_provider_error_fails_only_its_batch(session, cells):
    client = OtherProvider(ProviderError("service closed for maintenance", 503), "ok")

    summary = fetch_and_store_recent(session, client, cells, past_days=1, now=NOW, batch_size=1)
    session.commit()

    assert (summary.cells_done, summary.cells_failed, summary.rows_written) == (1, 1, 3)
    assert summary.errors == [
        f"forecast cells {cells[0].id}: ProviderError (HTTP 503): service closed for maintenance"
    ]
    failed, ok = _logs(session)
    assert (failed.provider, failed.status, failed.rows_written) == ("other", "error", 0)
    assert failed.error == "ProviderError (HTTP 503): service closed for maintenance"
    assert ok.status == "ok" and _stored(session, cells[1].id) == 3
    assert _stored(session, cells[0].id) == 0


@pytest.mark.parametrize(
    "error",
    [
        ProviderUnreachableError("no route to host"),
        ProviderRateLimitError("daily limit reached", 429, retry_after=3600.0),
        ProviderServerError("bad gateway", 502),
        ProviderRequestError("unknown variable", 400),
        ProviderResponseError("not JSON"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_provider_error_kind_is_logged_not_raised(session, cells, error):
    summary = fetch_and_store_archive(
        session, OtherProvider(error), cells, date(2024, 1, 1), date(2024, 1, 1), NOW
    )
    assert (summary.cells_done, summary.cells_failed) == (0, 2)
    [log] = _logs(session)
    assert log.status == "error" and log.error.startswith(type(error).__name__)
    assert error.reason in log.error


def test_backfill_skips_the_cells_of_a_chunk_a_provider_refused(session, cells):
    client = OtherProvider(ProviderRequestError("archive closed", 400))
    summary = backfill(session, client, [(c, date(2023, 12, 31)) for c in cells], NOW)
    assert (summary.cells_done, summary.cells_failed) == (0, 2)
    assert "ProviderRequestError (HTTP 400): archive closed" in summary.errors[0]


def test_an_error_that_is_not_a_provider_error_still_propagates(session, cells):
    with pytest.raises(RuntimeError, match="a bug"):
        fetch_and_store_recent(session, OtherProvider(RuntimeError("a bug")), cells, 1, NOW)


@pytest.mark.parametrize(
    ("open_meteo", "neutral", "transient"),
    [
        (OpenMeteoConnectionError, ProviderUnreachableError, True),
        (OpenMeteoRateLimitError, ProviderRateLimitError, True),
        (OpenMeteoServerError, ProviderServerError, True),
        (OpenMeteoRequestError, ProviderRequestError, False),
        (OpenMeteoResponseError, ProviderResponseError, False),
        (OpenMeteoError, ProviderError, False),
    ],
)
def test_open_meteo_errors_are_provider_errors(open_meteo, neutral, transient):
    error = open_meteo("reason text", 418)
    assert isinstance(error, neutral) and isinstance(error, OpenMeteoError)
    assert error.transient is transient
    assert (str(error), error.reason, error.status, error.attempts) == (
        "HTTP 418: reason text",
        "reason text",
        418,
        1,
    )


@responses.activate
@pytest.mark.parametrize(("header", "expected"), [("120", 120.0), ("soon", None), (None, None)])
def test_a_429_carries_the_retry_after_header(make_client, om, header, expected):
    headers = {"Retry-After": header} if header is not None else {}
    responses.get(om.forecast, status=429, json={"error": True, "reason": "x"}, headers=headers)
    with pytest.raises(OpenMeteoRateLimitError) as caught:
        make_client(max_retries=0).get_recent([(52.52, 13.41)], past_days=1)
    assert caught.value.retry_after == expected
    assert caught.value.attempts == 1


def test_a_request_failure_without_http_status_is_a_plain_provider_error(make_client, om):
    class Broken(requests.Session):
        def get(self, *args, **kwargs):
            raise requests.exceptions.InvalidURL("no host")

    client = make_client()
    client.session = Broken()
    with pytest.raises(OpenMeteoError) as caught:
        client.get_recent([(52.52, 13.41)], past_days=1)
    assert type(caught.value) is OpenMeteoError and not caught.value.transient
    assert client.last_attempts == 1
