"""The ``bolashaq`` command line (rules part).

    bolashaq eligibility check FILE|-  [--jsonl] [--rule-set ID] [--no-what-if] [--compact]
    bolashaq eligibility schema
    bolashaq rules list [--json]
    bolashaq rules show ID
    bolashaq rules validate [PATH ...]
    bolashaq rules diff OLD NEW FILE|-

Exit status: 0 when every verdict was produced; 2 for invalid input (a clear message on
stderr; with --jsonl each invalid line gets {"error": ...} on its own output line and the run
ends with 2); 1 when the rule-set data itself is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

__all__ = ["main"]

EXIT_OK = 0
EXIT_DATA = 1
EXIT_INPUT = 2


class _InputError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bolashaq", description="Bolashak eligibility rules engine.")
    sub = p.add_subparsers(dest="area", metavar="{eligibility,rules}")
    sub.required = True

    el = sub.add_parser("eligibility", help="check profiles against the rules")
    esub = el.add_subparsers(dest="command", metavar="{check,schema}")
    esub.required = True
    chk = esub.add_parser("check", help="evaluate a profile (JSON) and print the result as JSON")
    chk.add_argument("file", help="profile JSON file, or - for standard input")
    chk.add_argument(
        "--jsonl", action="store_true", help="one profile per line in, one result per line out"
    )
    chk.add_argument(
        "--rule-set", metavar="ID", help="force a rule set instead of choosing by date"
    )
    chk.add_argument("--no-what-if", action="store_true", help="leave out what-if suggestions")
    chk.add_argument("--compact", action="store_true", help="print JSON on one line")
    esub.add_parser("schema", help="print the profile's JSON Schema")

    ru = sub.add_parser("rules", help="inspect rule sets")
    rsub = ru.add_subparsers(dest="command", metavar="{list,show,validate,diff}")
    rsub.required = True
    ls = rsub.add_parser("list", help="list the rule sets and when they are in force")
    ls.add_argument("--json", action="store_true", help="print JSON")
    sh = rsub.add_parser("show", help="print one rule set (its data file as JSON)")
    sh.add_argument("id")
    va = rsub.add_parser("validate", help="validate rule-set files or a data directory")
    va.add_argument(
        "paths", nargs="*", help="YAML files or directories (default: the bundled data)"
    )
    df = rsub.add_parser("diff", help="who gains and who loses eligibility between two rule sets")
    df.add_argument("old")
    df.add_argument("new")
    df.add_argument("file", help="profiles: JSON array or JSON lines; - for standard input")
    return p


def _dump(obj: Any, out: IO[str], *, compact: bool = False) -> None:
    if compact:
        out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        out.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise _InputError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise _InputError(f"{path}: not UTF-8 text ({e.reason})") from None


def _lines(path: str) -> Iterator[tuple[int, str]]:
    if path == "-":
        for n, line in enumerate(sys.stdin, 1):
            yield n, line
        return
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                yield n, line
    except OSError as e:
        raise _InputError(f"cannot read {path}: {e.strerror or e}") from None


def _json_error(e: json.JSONDecodeError, where: str) -> str:
    return f"{where}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"


def _check(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from . import ProfileError, evaluate

    what_if = not args.no_what_if
    if args.jsonl:
        bad = 0
        for n, line in _lines(args.file):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                res = evaluate(data, rule_set=args.rule_set, what_if=what_if).to_dict()
            except json.JSONDecodeError as e:
                bad += 1
                res = {"error": _json_error(e, f"line {n}"), "line": n}
            except ProfileError as e:
                bad += 1
                res = {"error": str(e), "errors": e.errors, "line": n}
            _dump(res, out, compact=True)
        out.flush()
        if bad:
            err.write(
                f'bolashaq: {bad} invalid profile line(s); see the "error" lines in the output\n'
            )
            return EXIT_INPUT
        return EXIT_OK
    text = _read(args.file)
    name = "<stdin>" if args.file == "-" else args.file
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise _InputError(_json_error(e, name)) from None
    try:
        res = evaluate(data, rule_set=args.rule_set, what_if=what_if).to_dict()
    except ProfileError as e:
        raise _InputError(f"{name}: " + "\n  ".join(["invalid profile:", *e.errors])) from None
    _dump(res, out, compact=args.compact)
    return EXIT_OK


def _rules_list(args: argparse.Namespace, out: IO[str]) -> int:
    from .loader import load_rule_sets

    book = load_rule_sets()
    if args.json:
        _dump([r.summary() for r in book], out)
        return EXIT_OK
    for r in book:
        out.write(f"{r.id}\t{r.title[2]}\n")
        for f in r.in_force:
            until = f.end.isoformat() if f.end else "open-ended"
            out.write(f"  {', '.join(f.programmes)}: {f.start.isoformat()} .. {until}\n")
        for prog, cats in r.programmes.items():
            out.write(f"  {prog}: {', '.join(cats)}\n")
    return EXIT_OK


def _rules_show(args: argparse.Namespace, out: IO[str]) -> int:
    from .loader import load_rule_sets
    from .ruleset import NoRuleSetError

    try:
        rs = load_rule_sets().get(args.id)
    except NoRuleSetError as e:
        raise _InputError(str(e)) from None
    _dump({"summary": rs.summary(), "data": rs.raw}, out)
    return EXIT_OK


def _rules_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from pathlib import Path

    from .loader import RuleSetError, load_rule_book, load_rule_set_file

    paths = args.paths or [None]
    failed = False
    for p in paths:
        try:
            if p is None or Path(p).is_dir():
                book = load_rule_book(p)
                out.write(f"ok: {', '.join(book.ids)}\n")
            else:
                rs = load_rule_set_file(p)
                out.write(f"ok: {p} ({rs.id})\n")
        except RuleSetError as e:
            failed = True
            err.write(str(e) + "\n")
        except OSError as e:
            raise _InputError(f"cannot read {p}: {e.strerror or e}") from None
    return EXIT_DATA if failed else EXIT_OK


def _rules_diff(args: argparse.Namespace, out: IO[str]) -> int:
    from .diff import diff_rule_sets
    from .ruleset import NoRuleSetError

    text = _read(args.file)
    name = "<stdin>" if args.file == "-" else args.file
    profiles: list[Any]
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            profiles = json.loads(text)
        else:
            profiles = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as e:
        raise _InputError(_json_error(e, name)) from None
    try:
        report = diff_rule_sets(args.old, args.new, profiles)
    except NoRuleSetError as e:
        raise _InputError(str(e)) from None
    _dump(report.to_dict(), out)
    return EXIT_INPUT if report.errors else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from .loader import RuleSetError
    from .models import profile_json_schema

    out, err = sys.stdout, sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as e:  # usage errors (2) and --help (0)
        return int(e.code) if isinstance(e.code, int) else EXIT_INPUT
    try:
        if args.area == "eligibility":
            if args.command == "schema":
                _dump(profile_json_schema(), out)
                return EXIT_OK
            return _check(args, out, err)
        if args.command == "list":
            return _rules_list(args, out)
        if args.command == "show":
            return _rules_show(args, out)
        if args.command == "validate":
            return _rules_validate(args, out, err)
        return _rules_diff(args, out)
    except _InputError as e:
        err.write(f"bolashaq: error: {e}\n")
        return EXIT_INPUT
    except RuleSetError as e:
        err.write(f"bolashaq: invalid rule-set data:\n{e}\n")
        return EXIT_DATA
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
