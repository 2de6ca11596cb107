"""Who runs a job: the owning process (pid and host) and whether it is still running.

``job_runs`` rows record their owner when a run starts. A scheduler starting up asks here
whether a ``running`` row's owner is alive before calling the run interrupted, so a
``jobs run backfill`` started from the command line is left alone while it works.

On this host an owner is alive if its pid exists, is not a zombie, and (where
``/proc/<pid>/stat`` can tell, i.e. on Linux) the process started before the run did: a
later process that reused the pid is not the owner. A run owned by another host cannot be
checked; it counts as interrupted once it is older than a generous bound.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: A run on another host still ``running`` after this long is taken to be interrupted.
FOREIGN_RUN_STALE_AFTER = timedelta(hours=24)
#: Tolerance between the kernel's process start (boot time has whole seconds) and a run's.
START_SLACK = timedelta(seconds=5)


def this_host() -> str:
    """Return this machine's host name, as recorded in ``job_runs.owner_host``."""
    return socket.gethostname()


def pid_exists(pid: int) -> bool:
    """Return True if a process with this id exists (signal 0 probes without sending)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _boot_time() -> float | None:
    """Return the boot time in unix seconds from /proc/stat, or None."""
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def process_state(pid: int) -> tuple[str, datetime | None] | None:
    """Return (state letter, start instant) of a process from /proc, or None if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        state, ticks = fields[0], int(fields[19])  # fields 3 and 22 of proc(5)
    except (OSError, ValueError, IndexError):
        return None
    boot = _boot_time()
    if boot is None:
        return state, None
    return state, datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def owner_alive(pid: int | None, run_started_at: datetime) -> bool:
    """Return True if process ``pid`` on this host runs and started before the run did."""
    if pid is None or not pid_exists(pid):
        return False
    state = process_state(pid)
    if state is None:  # no /proc: pid liveness is all we know
        return True
    letter, started = state
    if letter in ("Z", "X"):  # a zombie or dead process is not running anything
        return False
    return started is None or started <= run_started_at + START_SLACK


def run_is_live(
    owner_pid: int | None,
    owner_host: str | None,
    started_at: datetime,
    now: datetime,
    host: str,
    foreign_after: timedelta = FOREIGN_RUN_STALE_AFTER,
) -> bool:
    """Decide whether a ``running`` row is still being worked on by its owner.

    Unknown owner (a row written before owners were recorded): not live. Another host:
    live until ``foreign_after`` has passed since it started. This host: :func:`owner_alive`.
    """
    if owner_host is None:
        return False
    if owner_host != host:
        return now - started_at < foreign_after
    return owner_alive(owner_pid, started_at)
