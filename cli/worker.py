"""``migraine-weather worker``: run queued tasks (``[jobs] executor = "queue"``, PostgreSQL).

Everything from ``jobs`` (and so Procrastinate) is imported inside the command.
"""

from __future__ import annotations

import logging
import sys

import click

from cli.context import State, pass_state

#: Exit code of a worker that cannot run here (inline executor, SQLite, no queue tables).
NOT_READY_EXIT_CODE = 2


@click.command()
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Tasks this process runs at once (threads; provider calls and database "
                   "writes mostly wait, so 2-4 per core is reasonable).")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["pressure", "reports"]),
              help="Only take tasks from this queue (repeatable; default: both).")
@pass_state
def worker(state: State, concurrency: int, queues: tuple[str, ...]) -> None:
    """Run queued tasks of the scheduled jobs, until SIGTERM or Ctrl-C (running tasks finish).

    Start any number of workers, on any machines, against the same PostgreSQL database;
    the one scheduler enqueues the work (docs/queue.md).
    """
    from jobs.queue_app import QueueNotReady
    from jobs.worker import run_worker

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    try:
        run_worker(state.settings, state.engine, concurrency=concurrency, queues=queues)
    except QueueNotReady as exc:
        click.echo(f"worker: {exc}", err=True)
        sys.exit(NOT_READY_EXIT_CODE)


COMMANDS = [worker]
