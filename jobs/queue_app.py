"""The task queue (queue mode): a Procrastinate app on the service's own PostgreSQL.

Two tasks: ``migraine_weather.pressure`` (queue ``pressure``: pull-recent, backfill and
fill-history batches of cells) and ``migraine_weather.reports`` (queue ``reports``: chunks of
patients for refresh-reports). A task whose provider calls failed (other than a refused
request) raises :class:`~jobs.queue_tasks.RetryLater` and runs again after 4, 16, 64, ...
seconds, ``[jobs] task_attempts`` runs in all; its last run counts the failure instead. A lost
database connection is retried the same way.

A worker runs several tasks at once, each in a thread of its own (Procrastinate runs
synchronous tasks in threads); :func:`thread_context` gives every thread its own HTTP session
and client, all sharing the database's :class:`~jobs.budget.SharedCallBudget`.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import procrastinate
import requests
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from jobs.budget import SharedCallBudget
from jobs.context import JobContext, build_context, current
from jobs.names import BACKFILL, FILL_HISTORY, PULL_RECENT, REFRESH_REPORTS
from jobs.queue_tasks import RetryLater, run_pressure_task, run_reports_task
from tracker.settings import Settings
from weather.open_meteo import PROVIDER, OpenMeteoClient, client_from_settings

PRESSURE_TASK = "migraine_weather.pressure"
REPORTS_TASK = "migraine_weather.reports"
PRESSURE_QUEUE = "pressure"
REPORTS_QUEUE = "reports"
#: Which task runs each job's work.
TASK_OF_JOB = {PULL_RECENT: PRESSURE_TASK, BACKFILL: PRESSURE_TASK, FILL_HISTORY: PRESSURE_TASK,
               REFRESH_REPORTS: REPORTS_TASK}
#: Higher runs first: the hourly pull never waits behind a long first back-fill.
PRIORITY_OF_JOB = {PULL_RECENT: 20, FILL_HISTORY: 10, BACKFILL: 0, REFRESH_REPORTS: 0}
#: Base of the exponential wait between runs of a failing task (seconds: 4, 16, 64, ...).
RETRY_BASE_SECONDS = 4


class QueueNotReady(RuntimeError):
    """Queue mode cannot run here: not PostgreSQL, or its tables are missing."""


def conninfo(url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (options kept)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise QueueNotReady("the task queue needs PostgreSQL: [jobs] executor = \"queue\" "
                            "works only with a postgresql:// database URL")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def shared_client(settings: Settings, engine: Engine, http: requests.Session) -> OpenMeteoClient:
    """An Open-Meteo client whose rate limit is the budget every worker shares."""
    section = settings.weather.open_meteo
    budget = SharedCallBudget(engine, PROVIDER, section.max_calls_per_minute)
    return client_from_settings(section, http, limiter=budget)


def queue_context(settings: Settings, engine: Engine | None = None) -> JobContext:
    """A job context whose client draws on the shared provider budget."""
    ctx = build_context(settings, engine)
    ctx.client = shared_client(settings, ctx.engine, ctx.http)
    return ctx


_local = threading.local()


def thread_context() -> JobContext:
    """This thread's context: the installed one's database and settings, with an HTTP session
    and a (budget-sharing) client of its own."""
    base = current()
    ctx: JobContext | None = getattr(_local, "ctx", None)
    if ctx is None or ctx.engine is not base.engine:
        http = requests.Session()
        ctx = dataclasses.replace(base, http=http,
                                  client=shared_client(base.settings, base.engine, http))
        _local.ctx = ctx
    return ctx


def build_app(settings: Settings) -> procrastinate.App:
    """The Procrastinate app on ``settings``' database, with the two tasks registered."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=conninfo(settings.database.url)))
    attempts = settings.jobs.task_attempts
    retry: Any = False
    if attempts > 1:
        retry = procrastinate.RetryStrategy(max_attempts=attempts - 1,
                                            exponential_wait=RETRY_BASE_SECONDS,
                                            retry_exceptions=[RetryLater, OperationalError])

    @app.task(name=PRESSURE_TASK, queue=PRESSURE_QUEUE, retry=retry, pass_context=True)
    def pressure(context: procrastinate.JobContext, **args: Any) -> str:
        """Fetch and store a batch of cells' planned chunks (jobs.queue_tasks)."""
        last = context.job.attempts + 1 >= attempts
        return run_pressure_task(thread_context(), args, last_attempt=last)

    @app.task(name=REPORTS_TASK, queue=REPORTS_QUEUE, retry=retry)
    def reports(**args: Any) -> str:
        """Refresh a chunk of patients' report snapshots (jobs.queue_tasks)."""
        return run_reports_task(thread_context(), args)

    return app
