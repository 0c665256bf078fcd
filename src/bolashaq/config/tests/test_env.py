from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from bolashaq.config.env import env_bool, env_choice, env_int, env_list, env_str, load_dotenv


def test_readers_parse_good_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "Yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a.kz, b.kz,,")
    assert env_bool("X_BOOL", default=False) is True
    assert env_int("X_INT", 0) == 42
    assert env_list("X_LIST", []) == ["a.kz", "b.kz"]
    assert env_str("X_MISSING", "fallback") == "fallback"


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("X_BOOL", "maybe", lambda: env_bool("X_BOOL", default=False)),
        ("X_INT", "twelve", lambda: env_int("X_INT", 0)),
        ("X_INT", "-1", lambda: env_int("X_INT", 0, minimum=0)),
        ("X_CHOICE", "redis", lambda: env_choice("X_CHOICE", "local", ("local", "s3"))),
    ],
)
def test_readers_fail_loudly_on_bad_values(monkeypatch, name, value, read) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        read()


def test_required_variable_without_default_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_REQUIRED is required"):
        env_str("X_REQUIRED")


def test_dotenv_never_overrides_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("X_SET", "from-env")
    monkeypatch.delenv("X_NEW", raising=False)
    env = tmp_path / ".env"
    env.write_text("# comment\nX_SET=from-file\nX_NEW='quoted value'\n")
    load_dotenv(env)
    import os

    assert os.environ["X_SET"] == "from-env"
    assert os.environ["X_NEW"] == "quoted value"


def test_dotenv_names_the_bad_line(tmp_path) -> None:
    env = tmp_path / ".env"
    env.write_text("GOOD=1\nthis line is wrong\n")
    with pytest.raises(ImproperlyConfigured, match=r"\.env:2"):
        load_dotenv(env)
