"""A task of the fault suite's own (``tests.faults`` is an installed app of its settings, and on
``PYTHONPATH`` for the worker processes it starts): one the test can hold mid-run."""

from __future__ import annotations

import time
from pathlib import Path

from bolashaq.core.tasks import retried_task

# A held task is let go after this long even if the test never releases it.
HOLD_LIMIT_SECONDS = 30.0


@retried_task(max_attempts=3)
def held(directory: str, key: str) -> str:
    """Note each attempt's start in ``<directory>/<key>.log``, then wait (without touching the
    database) until ``<directory>/release-<key>`` exists; the effect is the task's own row
    ending SUCCESSFUL."""
    folder = Path(directory)
    with (folder / f"{key}.log").open("a") as log:
        log.write("started\n")
    deadline = time.monotonic() + HOLD_LIMIT_SECONDS
    while not (folder / f"release-{key}").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return key
