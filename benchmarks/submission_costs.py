"""CPU cost of each step of the submission path, in one process, on PostgreSQL.

    .venv/bin/python benchmarks/submission_costs.py [--applicants N] [--database-url URL]

The load test (``submission_load.py``) measures throughput on a machine that may be shared;
this measures what each request costs in CPU, which does not depend on who else is running:
Django's share (the request through the whole middleware stack and the API, with the test
client, so no HTTP parsing) and PostgreSQL's share (the CPU of this connection's backend), per
request type, and the background tasks' share per submission. From these, the cores a given
rate of submissions needs follow.

Like the load test it re-creates a database whose name must end in ``_load`` (default
``bolashaq_costs_load``) on a loopback address, with production settings.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import re
import shutil
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from submission_load import (
    API,
    PASSWORD,
    ROOT,
    Database,
    Documents,
    Submitter,
    manage,
    prepare,
    server_env,
)

from tests.faults.client import multipart

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bolashaq_costs_load"


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--applicants", type=int, default=40)
    parser.add_argument("--big-size", type=int, default=1024 * 1024)
    parser.add_argument("--small-size", type=int, default=20_000)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile each step (cProfile, CPU time) into var/loadtest/costs/<step>.prof",
    )
    parser.add_argument("--sql", action="store_true", help="print each step's SQL once")
    args = parser.parse_args()
    if not 5 <= args.applicants <= 500:
        parser.error("--applicants must be 5..500")
    database = Database.from_url(args.database_url)
    run_dir = ROOT / "var" / "loadtest" / "costs"
    run_dir.mkdir(parents=True, exist_ok=True)
    settings = argparse.Namespace(
        database_url=args.database_url,
        out=ROOT / "var" / "loadtest",
        max_inflight=64,
        applicants=args.applicants,
        sign_in_users=args.applicants,
        duration=60,
        drain_timeout=60,
        refused_share=0.2,
        seed=2026,
    )
    env = server_env(settings, run_dir, 8000)
    env["ALLOWED_HOSTS"] = "testserver"
    print(f"re-creating {database.name} ...")
    database.recreate()
    manage(env, "migrate", "--no-input", log=run_dir / "setup.log")
    manage(env, "collectstatic", "--no-input", log=run_dir / "setup.log")
    fixture = prepare(settings, env)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from bolashaq.notifications.models import SmsMessage

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    costs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    executed: list[str] = []

    def count_queries(execute: Callable[..., Any], sql: str, *rest: Any) -> Any:
        executed.append(sql)
        return execute(sql, *rest)

    profiles: dict[str, cProfile.Profile] = defaultdict(lambda: cProfile.Profile(time.process_time))

    def measure(kind: str, ok: int, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        django_before, pg_before = time.process_time(), backend_cpu(backend)
        executed.clear()
        with connection.execute_wrapper(count_queries):
            if args_profile:
                response = profiles[kind].runcall(call, *args, **kwargs)
            else:
                response = call(*args, **kwargs)
        costs[kind].append((time.process_time() - django_before, backend_cpu(backend) - pg_before))
        queries[kind].append(len(executed))
        if show_sql and len(costs[kind]) == 1:
            for sql in executed:
                print(f"  {kind}: {sql[:170]}")
        if response.status_code != ok:
            raise SystemExit(f"{kind}: {response.status_code} {response.content[:300]!r}")
        return response

    def code(phone: str) -> str:
        message = SmsMessage.objects.filter(phone=phone).order_by("-pk").first()
        found = re.search(r"\b(\d{6})\b", message.body if message else "")
        if found is None:
            raise SystemExit(f"no code was sent to {phone}")
        return found.group(1)

    args_profile, show_sql = args.profile, args.sql
    documents = Documents(args.big_size, args.small_size)
    print(f"measuring {args.applicants} submissions and sign-ins ...")

    def submission(who: Submitter) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {who.token}")
        json = "application/json"
        payload = {"intake": fixture.intake, "category": "general"}
        started = measure("start", 201, client.post, f"{API}/applications", payload, json)
        base = f"{API}/applications/{started.json()['id']}"
        for section, values in who.answers.items():
            measure(
                "section", 200, client.put, f"{base}/sections/{section}", {"values": values}, json
            )
        for index, slot in enumerate(fixture.slots):
            size = "big" if index < 3 else "small"
            body, content_type = multipart("file", f"{slot}.pdf", documents.make(size))
            url = f"{base}/documents/{slot}"
            measure(f"upload ({size})", 201, client.generic, "POST", url, body, content_type)
        signed = measure("sign_request", 200, client.post, f"{base}/sign-request")
        answer = {"content_hash": signed.json()["content_hash"], "code": code(who.phone)}
        measure("submit", 200, client.post, f"{base}/submit", answer, json)
        measure("status", 200, client.get, base)

    for who in fixture.submitters:
        submission(who)
    for user in fixture.sign_in_users:
        client = Client()
        password = {"username": user.username, "password": PASSWORD}
        measure(
            "sign_in", 200, client.post, f"{API}/accounts/sign-in", password, "application/json"
        )
        confirm = {"code": code(user.phone)}
        url = f"{API}/accounts/sign-in/confirm"
        measure("sign_in_confirm", 200, client.post, url, confirm, "application/json")

    django_before, pg_before = time.process_time(), backend_cpu(backend)
    executed.clear()
    worker = {"batch": True, "startup_delay": False, "reload": False, "verbosity": 0}
    with connection.execute_wrapper(count_queries):
        if args_profile:
            profiles["tasks"].runcall(call_command, "db_worker", **worker)
        else:
            call_command("db_worker", **worker)
    task_cpu = (time.process_time() - django_before, backend_cpu(backend) - pg_before)
    task_queries = len(executed)
    if show_sql:
        for sql in executed[: len(executed) // len(fixture.submitters)]:
            print(f"  tasks: {sql[:170]}")
    tasks = DBTaskResult.objects.count()  # the check and a notice for each state change
    connection.close()
    for kind, profile in profiles.items():
        profile.dump_stats(run_dir / f"{kind.replace(' ', '_')}.prof")
    shutil.rmtree(run_dir / "var" / "media", ignore_errors=True)

    print()
    print("| step | Django CPU (median) | PostgreSQL CPU (mean) | queries (mean) | count |")
    print("|---|---|---|---|---|")
    per_submission = [0.0, 0.0]
    steps = {"start": 1, "section": 5, "upload (big)": 3, "upload (small)": 3}
    steps.update({"sign_request": 1, "submit": 1})
    for kind, rows in costs.items():
        django = statistics.median(r[0] for r in rows)
        pg = statistics.fmean(r[1] for r in rows)
        count = statistics.fmean(queries[kind])
        print(
            f"| {kind} | {django * 1000:.1f} ms | {pg * 1000:.1f} ms | {count:.1f} | {len(rows)} |"
        )
        if kind in steps:
            per_submission[0] += django * steps[kind]
            per_submission[1] += pg * steps[kind]
    submissions = len(fixture.submitters)
    print(
        f"| background tasks per submission ({tasks} tasks) | "
        f"{task_cpu[0] / submissions * 1000:.1f} ms | {task_cpu[1] / submissions * 1000:.1f} ms "
        f"| {task_queries / submissions:.1f} | {submissions} |"
    )
    whole = sum(per_submission) + sum(task_cpu) / submissions
    last = (
        sum(
            statistics.median(r[0] for r in costs[k]) + statistics.fmean(r[1] for r in costs[k])
            for k in ("sign_request", "submit")
        )
        + sum(task_cpu) / submissions
    )
    print()
    print(f"Whole submission (14 requests and its tasks): {whole * 1000:.0f} ms of CPU.")
    print(f"Sign-request, submit and the tasks alone: {last * 1000:.0f} ms of CPU.")
    print(
        "Cores for 20 submissions/s (busy 100%, HTTP parsing not included): "
        f"whole {20 * whole:.1f}, last step only {20 * last:.1f}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
