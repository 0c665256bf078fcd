"""Argon2id with the cost from the settings, and old hashes upgraded at the next sign-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import hashers
from django.test import override_settings

from bolashaq.accounts.hashers import Argon2PasswordHasher

PROJECT_HASHER = ["bolashaq.accounts.hashers.Argon2PasswordHasher"]


def test_production_defaults_are_owasps_minimum_for_argon2id() -> None:
    assert (settings.ARGON2_MEMORY_KIB, settings.ARGON2_TIME_COST) == (19456, 2)
    assert settings.ARGON2_PARALLELISM == 1
    # The suite swaps in a cheaper hasher; the production settings module uses this one.
    from bolashaq.config import settings as production

    assert production.PASSWORD_HASHERS[0] == PROJECT_HASHER[0]


@override_settings(
    PASSWORD_HASHERS=PROJECT_HASHER,
    ARGON2_MEMORY_KIB=8192,
    ARGON2_TIME_COST=1,
    ARGON2_PARALLELISM=2,
)
def test_new_hashes_use_the_configured_cost() -> None:
    encoded = hashers.make_password("correct-horse-battery-staple")

    assert encoded.startswith("argon2$argon2id$v=19$m=8192,t=1,p=2$")
    assert hashers.check_password("correct-horse-battery-staple", encoded)
    assert not hashers.check_password("wrong-horse-battery-staple", encoded)
    assert not Argon2PasswordHasher().must_update(encoded)


@override_settings(
    PASSWORD_HASHERS=PROJECT_HASHER,
    ARGON2_MEMORY_KIB=8192,
    ARGON2_TIME_COST=1,
    ARGON2_PARALLELISM=1,
)
def test_a_hash_with_djangos_costs_still_verifies_and_is_remade() -> None:
    old = hashers.Argon2PasswordHasher().encode("correct-horse-battery-staple", "saltsaltsaltsalt")
    assert "m=102400,t=2,p=8" in old
    rehash: list[str] = []

    assert hashers.check_password("correct-horse-battery-staple", old, setter=rehash.append)
    # Django's sign-in passes a setter that saves a new hash made with the configured cost.
    assert rehash == ["correct-horse-battery-staple"]
    assert Argon2PasswordHasher().must_update(old)
