"""A cheaper Argon2 for the test suite only: the same algorithm and hash format as production
(so tests exercise the real hasher), with the smallest cost parameters. Never in production."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256  # KiB
    parallelism = 1
