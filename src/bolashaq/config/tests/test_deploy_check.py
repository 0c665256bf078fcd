"""`manage.py check --deploy` with production variables reports nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!Qm2#rLp9@vN4$kT8&wZ1^bH6*cJ3(eF5)gY0_uS2+dA7=oI9-yR4.tE1,pW6",
    "ALLOWED_HOSTS": "bolashaq.example.kz",
    "DJANGO_SETTINGS_MODULE": "bolashaq.config.settings",
}


def _run(extra: dict[str, str], workdir: Path) -> subprocess.CompletedProcess[str]:
    # Only the production variables: nothing the test harness sets (such as the browser
    # journeys' DJANGO_ALLOW_ASYNC_UNSAFE) may leak into what a deployment would see.
    harness = {"DEBUG", "SECRET_KEY", "VAR_DIR", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in harness}
    env.update(extra)
    env["VAR_DIR"] = str(workdir)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = _run(PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY"])
def test_production_refuses_to_start_without_a_secret(missing: str, tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _run(env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
