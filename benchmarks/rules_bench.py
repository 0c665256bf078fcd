"""Benchmarks for the rules engine (plain script, prints numbers; not a test).

    .venv/bin/python benchmarks/rules_bench.py [--runs N] [--batch N] [--seed N]

1. One profile with full explanation: ``evaluate(profile_dict).to_dict()`` (parse, select the
   rule set, every requirement with kk/ru/en message, documents, post-award terms, what-if),
   median and p99 over many runs of the same profile, for an eligible and a not-eligible
   profile; for the not-eligible one also without what-if (``what_if=False``), so both numbers
   are on record. JSON encoding is reported separately.
2. Distinct profiles: the same full explanation timed for each generated profile of the batch
   (median and p99 per verdict). Memoised texts help a repeated profile more than a stream of
   different ones; this is the number for the latter.
3. A batch of generated profiles (default 100,000): ``evaluate()`` for every one (verdict and
   per-requirement statuses; messages and what-if are built lazily), then the same batch with
   ``to_dict()`` as well.

Wall time and the thread's CPU time are both printed: on a shared machine the CPU time shows
how much of the wall time is waiting for the processor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bolashaq.rules import evaluate, load_rule_sets

ELIGIBLE = {
    "date": "2026-05-10",
    "programme": "master",
    "category": "general",
    "kaztest": {"score": 110, "max": 150, "date": "2025-09-01"},
    "foreign_language": [{"test": "ielts", "score": 6.5, "date": "2025-10-01"}],
    "gpa": {"value": 3.2, "scale": 4.0},
    "invitation": {
        "unconditional": True,
        "recommended_university": True,
        "priority_specialty": True,
    },
    "related_specialty": True,
    "experience": {"total_months": 40, "field_months": 14, "field_continuous_months": 12},
    "studying_abroad": False,
}
NOT_ELIGIBLE = {
    "date": "2026-05-10",
    "programme": "internship",
    "category": "media",
    "kaztest": {
        "blocks": {
            "listening": 14,
            "lexico_grammar": 30,
            "reading": 25,
            "writing": 27,
            "speaking": 33,
        },
        "date": "2025-09-01",
    },
    "foreign_language": [{"test": "ielts", "score": 4.5, "date": "2025-10-01"}],
    "invitation": {"unconditional": True},
    "experience": {"total_months": 40, "field_months": 14, "field_continuous_months": 8},
}

CATS = {
    "master": ["general", "general", "rural", "engineering", "medical"],
    "residency": ["general"],
    "doctorate": ["general"],
    "internship": [
        "engineering",
        "agro",
        "ai_users",
        "teachers",
        "medical",
        "civil_service",
        "media",
    ],
}
BLOCK_MAX = (
    ("listening", 20),
    ("lexico_grammar", 40),
    ("reading", 40),
    ("writing", 50),
    ("speaking", 50),
)
TESTS = [
    ("ielts", 4.0, 8.0, 0.5),
    ("toefl_ibt", 20, 110, 1),
    ("toefl_pbt", 380, 600, 1),
    ("det", 60, 140, 5),
]


def generate(n: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    start = dt.date(2023, 1, 1).toordinal()
    out: list[dict[str, Any]] = []
    for i in range(n):
        on = dt.date.fromordinal(start + rnd.randrange(4 * 365))
        programme = rnd.choice(
            ["master", "master", "residency", "doctorate", "internship", "internship"]
        )
        p: dict[str, Any] = {"id": i, "date": on.isoformat(), "programme": programme}
        p["category"] = rnd.choice(CATS[programme])

        def past(days: int) -> str:
            return (on - dt.timedelta(days=rnd.randrange(days))).isoformat()  # noqa: B023

        if on.year >= 2026 and programme == "internship":
            p["kaztest"] = {
                "blocks": {
                    b: rnd.randint(m // 2, m)
                    for b, m in (
                        ("listening", 20),
                        ("lexico_grammar", 40),
                        ("reading", 40),
                        ("writing", 50),
                        ("speaking", 50),
                    )
                },
                "date": past(900),
            }
        else:
            p["kaztest"] = {"score": rnd.randint(90, 150), "max": 150, "date": past(900)}
        t, lo, hi, step = rnd.choice(TESTS)
        score = lo + step * rnd.randint(0, int((hi - lo) / step))
        p["foreign_language"] = [{"test": t, "score": score, "date": past(900)}]
        if rnd.random() < 0.9:
            p["gpa"] = {"value": round(rnd.uniform(2.5, 4.0), 2), "scale": 4.0}
        p["invitation"] = {
            "unconditional": rnd.random() < 0.9,
            "recommended_university": rnd.random() < 0.9,
            "priority_specialty": rnd.random() < 0.9,
        }
        p["related_specialty"] = rnd.random() < 0.9
        c = rnd.randint(0, 36)
        f = c + rnd.randint(0, 12)
        p["experience"] = {
            "total_months": f + rnd.randint(0, 30),
            "field_months": f,
            "field_continuous_months": c,
        }
        p["rural"] = {"residence_months": rnd.randint(0, 60), "work_months": rnd.randint(0, 60)}
        p["production_role"] = rnd.random() < 0.8
        p["medical_practice"] = rnd.random() < 0.8
        p["studying_abroad"] = rnd.random() < 0.1
        out.append(p)
    return out


def one(profile: dict[str, Any], runs: int, *, what_if: bool = True) -> dict[str, float]:
    for _ in range(200):  # warm caches
        evaluate(profile, what_if=what_if).to_dict()
    times: list[float] = []
    cpu: list[float] = []
    jtimes: list[float] = []
    clock = time.perf_counter_ns
    cpu_clock = time.thread_time_ns
    for _ in range(runs):
        c0 = cpu_clock()
        t0 = clock()
        d = evaluate(profile, what_if=what_if).to_dict()
        t1 = clock()
        c1 = cpu_clock()
        json.dumps(d, ensure_ascii=False)
        t2 = clock()
        times.append((t1 - t0) / 1000)
        cpu.append((c1 - c0) / 1000)
        jtimes.append((t2 - t1) / 1000)
    times.sort()
    cpu.sort()
    return {
        "median_us": statistics.median(times),
        "p99_us": times[int(len(times) * 0.99) - 1],
        "cpu_median_us": statistics.median(cpu),
        "json_median_us": statistics.median(jtimes),
    }


def distinct(profiles: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Full explanation of each profile once, timed one by one: µs per verdict."""
    by: dict[str, list[float]] = {}
    clock = time.perf_counter_ns
    for p in profiles:
        t0 = clock()
        d = evaluate(p).to_dict()
        t1 = clock()
        by.setdefault(d["verdict"], []).append((t1 - t0) / 1000)
    return by


def batch(profiles: list[dict[str, Any]], *, full: bool) -> tuple[float, dict[str, int]]:
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    c0 = time.thread_time()
    if full:
        for p in profiles:
            v = evaluate(p).to_dict()["verdict"]
            counts[v] = counts.get(v, 0) + 1
    else:
        for p in profiles:
            v = evaluate(p).verdict
            counts[v] = counts.get(v, 0) + 1
    wall = time.perf_counter() - t0
    print(f"  (CPU time of this thread: {time.thread_time() - c0:.2f} s)")
    return wall, counts


def repeat(workload: str, n: int) -> int:
    """Set up as usual, then run one workload ``n`` times (see ``--repeat``)."""
    load_rule_sets()
    profiles = generate(3000, 2026)
    for p in profiles[:200]:  # warm caches
        evaluate(p).to_dict()
    for _ in range(50):
        evaluate(ELIGIBLE).to_dict()
        evaluate(NOT_ELIGIBLE).to_dict()
    if workload == "eligible":
        for _ in range(n):
            evaluate(ELIGIBLE).to_dict()
    elif workload == "not-eligible":
        for _ in range(n):
            evaluate(NOT_ELIGIBLE).to_dict()
    elif workload == "not-eligible-no-what-if":
        for _ in range(n):
            evaluate(NOT_ELIGIBLE, what_if=False).to_dict()
    elif workload == "mixed":
        for p in profiles[1000 : 1000 + n]:
            evaluate(p).to_dict()
    elif workload == "mixed-verdict":
        for p in profiles[1000 : 1000 + n]:
            _ = evaluate(p).verdict
    else:
        print(f"unknown workload {workload!r}", file=sys.stderr)
        return 2
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument(
        "--repeat",
        nargs=2,
        metavar=("WORKLOAD", "N"),
        help="only run WORKLOAD (eligible, not-eligible, not-eligible-no-what-if, mixed or "
        "mixed-verdict) N times, "
        "untimed: for counting instructions under valgrind (run with N and with 0)",
    )
    args = ap.parse_args()
    if args.repeat:
        return repeat(args.repeat[0], int(args.repeat[1]))

    t0 = time.perf_counter()
    load_rule_sets()
    ms = (time.perf_counter() - t0) * 1000
    print(f"python {sys.version.split()[0]}; load and compile rule sets: {ms:.1f} ms")
    gc.collect()
    for name, prof, what_if in (
        ("eligible master/general", ELIGIBLE, True),
        ("not-eligible internship 2026, with what-if", NOT_ELIGIBLE, True),
        ("not-eligible internship 2026, what_if=False", NOT_ELIGIBLE, False),
    ):
        r = one(prof, args.runs, what_if=what_if)
        print(
            f"one profile, full explanation ({name}): median {r['median_us']:.1f} µs, "
            f"p99 {r['p99_us']:.1f} µs over {args.runs} runs; "
            f"CPU median {r['cpu_median_us']:.1f} µs"
            f" (+ json.dumps median {r['json_median_us']:.1f} µs)"
        )
    profiles = generate(args.batch, args.seed)
    gc.collect()
    n = len(profiles)
    by = distinct(profiles)
    every = sorted(t for ts in by.values() for t in ts)
    print(
        f"distinct profiles, full explanation each: median {statistics.median(every):.1f} µs, "
        f"p99 {every[int(len(every) * 0.99) - 1]:.1f} µs over {n:,} profiles"
    )
    for verdict, ts in sorted(by.items()):
        ts.sort()
        print(
            f"  {verdict}: median {statistics.median(ts):.1f} µs, "
            f"p99 {ts[int(len(ts) * 0.99) - 1]:.1f} µs ({len(ts):,} profiles)"
        )
    gc.collect()
    secs, counts = batch(profiles, full=False)
    print(
        f"batch of {n:,} generated profiles, evaluate(): {secs:.2f} s "
        f"({secs / n * 1e6:.1f} µs each)"
    )
    print(f"  verdicts: {counts}")
    secs, counts = batch(profiles, full=True)
    print(
        f"batch of {n:,} generated profiles, evaluate().to_dict(): {secs:.2f} s "
        f"({secs / n * 1e6:.1f} µs each)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
