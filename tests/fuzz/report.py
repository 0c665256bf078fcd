"""The API fuzzing report: what ``test_api_schema.py`` sent, what came back and what failed.

The fuzz test feeds one ``FuzzReport`` for the whole session: every request it makes
(operation, caller, status code, whether schemathesis meant it to be invalid) and every failure
Hypothesis ends with (the shrunk example, its failed checks and a curl command that replays it).
After each caller's run, passed or failed, the report is written again as ``report.md`` and
``report.json`` in ``var/fuzz/`` (beside ``var/loadtest/``), so the last run is always there
for a reviewer to read. See ``docs/operations/fuzzing.md``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REPORT_DIR = ROOT / "var" / "fuzz"

# The name the report gives to the test's own check (``rights_problem``), beside schemathesis'.
RIGHTS_CHECK = "grants_nothing_without_the_right"

WHAT_IS_CHECKED = (
    "Schemathesis reads `/api/v1/openapi.json` from the Django application in-process (its WSGI "
    "transport, the test's database) and generates requests for every operation, valid ones and "
    "as many invalid ones (column *negative*: wrong types, missing fields, odd strings, random "
    "bytes for files); half of them aim at real objects, the applicant's complete application, "
    "its sections and documents and the open intake. Each request runs in a savepoint that is "
    "rolled back. It runs anonymously and with a bearer token for each role; public operations, "
    "which ignore the token, run once, anonymously. Every answer must not be a server error "
    "(`not_a_server_error`: no 5xx at all), must use a status code, content type and body the "
    "operation declares (`status_code_conformance`, `content_type_conformance`, "
    "`response_schema_conformance`; errors are the envelope), and must grant nothing without "
    f"the right (`{RIGHTS_CHECK}`): anonymously, every signed-in operation answers 401; for "
    "anyone but the owning applicant an `/applications` operation never answers 2xx, except that "
    "operators, administrators and auditors may read an application's documents. A failure is "
    "shrunk by Hypothesis to a smallest example, which is the one shown below."
)

# A failure's message and reproduction are cut to this many characters.
MESSAGE_CHARS = 600
REPRODUCTION_CHARS = 2000


@dataclass
class Cell:
    """The requests for one operation by one caller."""

    requests: int = 0
    negative: int = 0
    statuses: Counter[int] = field(default_factory=Counter)


@dataclass(frozen=True)
class Finding:
    """One failure Hypothesis ended with, for one operation and caller."""

    operation: str
    caller: str
    checks: tuple[str, ...]
    title: str
    message: str
    reproduction: str


@dataclass
class FuzzReport:
    """Counts of a fuzzing run, written as Markdown and JSON."""

    examples: int
    seed: str | None
    operations: list[str]
    public: list[str]
    directory: Path = REPORT_DIR
    database: str = "unknown"
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    callers: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def record(self, operation: str, caller: str, status: int, *, negative: bool) -> None:
        """Count one request and its answer (cheap: it runs for every generated request)."""
        key = (operation, str(caller))
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = Cell()
        cell.requests += 1
        cell.negative += negative
        cell.statuses[status] += 1

    def fail(self, finding: Finding) -> None:
        self.findings.append(finding)

    @contextmanager
    def running(self, caller: str) -> Iterator[None]:
        """Time one caller's run and write the report after it, also when it fails."""
        caller = str(caller)
        if caller not in self.callers:
            self.callers.append(caller)
        start = time.monotonic()
        try:
            yield
        finally:
            self.seconds[caller] = self.seconds.get(caller, 0.0) + time.monotonic() - start
            self.write()

    # Reading the counts.

    @property
    def total_requests(self) -> int:
        return sum(cell.requests for cell in self.cells.values())

    @property
    def duration(self) -> float:
        return sum(self.seconds.values())

    def rows(self) -> list[tuple[str, str, Cell]]:
        """(operation, caller, cell) in the document's order of operations, then of callers."""
        order = {label: index for index, label in enumerate(self.operations)}
        callers = {caller: index for index, caller in enumerate(self.callers)}
        keys = sorted(
            self.cells,
            key=lambda key: (order.get(key[0], len(order)), key[0], callers.get(key[1], 0)),
        )
        return [(operation, caller, self.cells[(operation, caller)]) for operation, caller in keys]

    def failures_of(self, operation: str, caller: str) -> list[Finding]:
        return [f for f in self.findings if (f.operation, f.caller) == (operation, caller)]

    def header(self) -> dict[str, Any]:
        return {
            "date": self.started.isoformat(timespec="seconds"),
            "commit": _commit(),
            "schemathesis": version("schemathesis"),
            "hypothesis": version("hypothesis"),
            "python": platform.python_version(),
            "database": self.database,
            "examples_per_operation": self.examples,
            "seed": None if self.seed is None else int(self.seed),
            "derandomize": self.seed is None,
            "operations": len(self.operations),
            "public_operations": len(self.public),
            "callers": list(self.callers),
            "requests": self.total_requests,
            "duration_seconds": round(self.duration, 1),
            "seconds_per_caller": {caller: round(t, 1) for caller, t in self.seconds.items()},
            "failures": len(self.findings),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.header(),
            "what_is_checked": WHAT_IS_CHECKED,
            "results": [
                {
                    "operation": operation,
                    "caller": caller,
                    "requests": cell.requests,
                    "negative": cell.negative,
                    "statuses": {str(code): n for code, n in sorted(cell.statuses.items())},
                    "failures": len(self.failures_of(operation, caller)),
                }
                for operation, caller, cell in self.rows()
            ],
            "failures": [
                {
                    "operation": f.operation,
                    "caller": f.caller,
                    "checks": list(f.checks),
                    "title": f.title,
                    "message": f.message,
                    "reproduction": f.reproduction,
                }
                for f in self.findings
            ],
        }

    # Writing.

    def write(self) -> tuple[Path, Path]:
        self.directory.mkdir(parents=True, exist_ok=True)
        markdown = self.directory / "report.md"
        data = self.directory / "report.json"
        _replace(markdown, self.markdown())
        _replace(data, json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n")
        return markdown, data

    def markdown(self) -> str:
        head = self.header()
        sequence = (
            "derandomised (the same requests every run)"
            if self.seed is None
            else f"seed {self.seed} (`BOLASHAQ_FUZZ_SEED`)"
        )
        replay = "" if self.seed is None else f"BOLASHAQ_FUZZ_SEED={self.seed} "
        lines = [
            "# API fuzzing report",
            "",
            "Written by `tests/fuzz/test_api_schema.py` after each caller's run. The requests "
            "include those Hypothesis makes to shrink a failure.",
            "",
            "| | |",
            "|---|---|",
            f"| date | {self.started.strftime('%Y-%m-%d %H:%M:%S')} UTC |",
            f"| commit | {head['commit'] or 'unknown'} |",
            f"| schemathesis | {head['schemathesis']} (Hypothesis {head['hypothesis']}, "
            f"Python {head['python']}) |",
            f"| database | {self.database} |",
            f"| budget | {self.examples} examples per operation and caller "
            "(`BOLASHAQ_FUZZ_EXAMPLES`) |",
            f"| sequence | {sequence} |",
            f"| operations | {len(self.operations)} in the OpenAPI document, {len(self.public)} "
            "of them public (fuzzed anonymously only) |",
            f"| callers | {', '.join(self.callers) or 'none'} |",
            f"| requests | {self.total_requests} |",
            f"| duration | {self.duration:.1f} s |",
            f"| failures | {len(self.findings)} |",
            "",
            "## What is checked",
            "",
            WHAT_IS_CHECKED,
            "",
            "Run it again with `make fuzz`, or only this suite with "
            f"`{replay}BOLASHAQ_FUZZ_EXAMPLES={self.examples} VAR_DIR=/tmp/var-fuzz "
            ".venv/bin/pytest tests/fuzz/test_api_schema.py`.",
            "",
            "## Per caller",
            "",
            "| caller | operations | requests | negative | 2xx | 3xx | 4xx | 5xx | failures "
            "| seconds |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for caller in self.callers:
            cells = [cell for (_, who), cell in self.cells.items() if who == caller]
            classes: Counter[int] = Counter()
            for cell in cells:
                for code, n in cell.statuses.items():
                    classes[code // 100] += n
            failures = sum(1 for f in self.findings if f.caller == caller)
            lines.append(
                f"| {caller} | {len(cells)} | {sum(c.requests for c in cells)} "
                f"| {sum(c.negative for c in cells)} | {classes[2]} | {classes[3]} "
                f"| {classes[4]} | {classes[5]} | {failures} "
                f"| {self.seconds.get(caller, 0.0):.1f} |"
            )
        lines += [
            "",
            "## Per operation and caller",
            "",
            "| operation | caller | requests | negative | status codes | failures |",
            "|---|---|--:|--:|---|--:|",
        ]
        for operation, caller, cell in self.rows():
            statuses = ", ".join(f"{code} × {n}" for code, n in sorted(cell.statuses.items()))
            failures = len(self.failures_of(operation, caller))
            lines.append(
                f"| `{operation}` | {caller} | {cell.requests} | {cell.negative} "
                f"| {statuses} | {failures or ''} |"
            )
        lines += ["", "## Failures", ""]
        if not self.findings:
            lines.append("None.")
        for f in self.findings:
            lines += [
                f"### `{f.operation}` as {f.caller}",
                "",
                f"Checks: {', '.join(f'`{check}`' for check in f.checks)}. {f.title}.",
                "",
                "```text",
                f.message,
                "```",
                "",
                "Reproduction (the token is filtered: use one of the caller's):",
                "",
                "```sh",
                f.reproduction,
                "```",
                "",
            ]
        return "\n".join(lines).rstrip("\n") + "\n"


def finding(
    *, operation: str, caller: str, exc: BaseException, reproduction: str, checks: list[str]
) -> Finding:
    """A finding for ``exc``: the checks of ``checks`` that report it, its title and message."""
    leaves = _leaves(exc)
    names: list[str] = []
    titles: list[str] = []
    for leaf in leaves:
        reported_by = [name for name in getattr(leaf, "checks", ()) if name in checks]
        if reported_by:
            names.append(" or ".join(reported_by))
            titles.append(str(getattr(leaf, "title", type(leaf).__name__)))
        elif type(leaf) is AssertionError:
            names.append(RIGHTS_CHECK)
            titles.append("Granted without the right")
        else:
            names.append(type(leaf).__name__)
            titles.append("Raised while fuzzing")
    message = "\n".join(_short(leaf) for leaf in leaves)
    return Finding(
        operation=operation,
        caller=str(caller),
        checks=tuple(dict.fromkeys(names)),
        title="; ".join(dict.fromkeys(titles)),
        message=_cut(message, MESSAGE_CHARS),
        reproduction=_cut(reproduction, REPRODUCTION_CHARS),
    )


def database_description() -> str:
    """The test database's vendor and version (needs database access)."""
    from django.db import connection

    numbers = ".".join(str(part) for part in connection.get_database_version())
    return f"{connection.vendor} {numbers}"


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def _short(exc: BaseException) -> str:
    """A schemathesis failure's title and message; another exception's first line (pytest
    adds the rewritten assertion below it)."""
    message = getattr(exc, "message", None)
    if message:
        return " ".join(f"{getattr(exc, 'title', '')}: {message}".split())
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole: a reader never sees half a report."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
