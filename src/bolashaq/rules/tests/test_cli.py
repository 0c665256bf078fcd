"""The command line, via main() and via a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bolashaq.rules.cli import main

from .profiles import internship_2026, master_general, master_rural

SRC = str(Path(__file__).resolve().parents[3])


def _write(tmp_path: Path, obj: object, name: str = "p.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return p


def test_check_prints_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eligibility", "check", str(_write(tmp_path, internship_2026()))]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "eligible"
    assert out["rule_set"] == "2026-internship"
    assert len(out["documents"]) == 10


def test_check_not_eligible_still_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = master_general(foreign_language=[{"test": "ielts", "score": 5.5, "date": "2025-10-01"}])
    assert main(["eligibility", "check", str(_write(tmp_path, p))]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "not_eligible"
    assert out["what_if"][0]["text"]["en"] == "IELTS 6.0 instead of 5.5."


def test_check_invalid_profile_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["eligibility", "check", str(_write(tmp_path, {"date": "x", "programme": "master"}))])
        == 2
    )
    err = capsys.readouterr().err
    assert "date: expected an ISO date" in err
    assert "category: required" in err


def test_check_bad_json_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert main(["eligibility", "check", str(bad)]) == 2
    assert "invalid JSON at line 1" in capsys.readouterr().err
    assert main(["eligibility", "check", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        json.dumps(master_rural()),
        "not json",
        "",
        json.dumps({"date": "2023-01-01"}),
        json.dumps(internship_2026()),
    ]
    f = tmp_path / "p.jsonl"
    f.write_text("\n".join(lines) + "\n")
    assert main(["eligibility", "check", "--jsonl", str(f)]) == 2
    cap = capsys.readouterr()
    out = [json.loads(x) for x in cap.out.splitlines()]
    assert len(out) == 4
    assert out[0]["verdict"] == "eligible"
    assert "error" in out[1]
    assert "error" in out[2]
    assert out[3]["verdict"] == "eligible"
    assert "2 invalid" in cap.err


def test_jsonl_all_valid_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps(master_rural()) + "\n" + json.dumps(internship_2026()) + "\n")
    assert main(["eligibility", "check", "--jsonl", str(f)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_schema_and_rules_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eligibility", "schema"]) == 0
    assert json.loads(capsys.readouterr().out)["required"] == ["date", "programme", "category"]
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    assert "2023" in out
    assert "2026-internship" in out
    assert main(["rules", "list", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == ["2023", "2026-internship"]
    assert main(["rules", "show", "2026-internship"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["data"]["intake_windows"]["windows"][0]["from"] == "2026-03-16"
    assert main(["rules", "show", "1999"]) == 2
    assert "unknown rule set" in capsys.readouterr().err
    assert main(["rules", "validate"]) == 0


def test_rules_validate_reports_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text('id: "x"\nbogus: 1\n')
    assert main(["rules", "validate", str(f)]) == 1
    assert f"{f}:2: rule set: unknown field 'bogus'" in capsys.readouterr().err


def test_rules_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, [internship_2026(category="nuclear", id="n")])
    assert main(["rules", "diff", "2023", "2026-internship", str(f)]) == 0
    assert json.loads(capsys.readouterr().out)["gained"][0]["id"] == "n"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eligibility"]) == 2
    assert main([]) == 2


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "bolashaq.rules", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )


def test_subprocess_stdin() -> None:
    proc = _run("eligibility", "check", "-", stdin=json.dumps(master_rural()))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verdict"] == "eligible"
    assert out["requirements"][0]["message"]["kk"]


def test_subprocess_invalid_input_exit_2() -> None:
    proc = _run(
        "eligibility",
        "check",
        "-",
        stdin='{"date": "2026-05-10", "programme": "phd", "category": "general"}',
    )
    assert proc.returncode == 2
    assert "unknown programme 'phd'" in proc.stderr
    assert proc.stdout == ""


def test_subprocess_jsonl_stdin() -> None:
    stdin = json.dumps(internship_2026()) + "\n{broken\n"
    proc = _run("eligibility", "check", "--jsonl", "-", stdin=stdin)
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert json.loads(lines[0])["verdict"] == "eligible"
    assert "error" in json.loads(lines[1])
