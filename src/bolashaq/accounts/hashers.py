"""Password hashing: Argon2id with its cost taken from the settings.

Django's Argon2 hasher fixes 100 MiB of memory and 8 lanes: about a fifth of a second of CPU
per sign-in, which on a small web host is the largest single cost of the deadline hour (see
``docs/performance.md``). The cost here is ``ARGON2_TIME_COST``, ``ARGON2_MEMORY_KIB`` and
``ARGON2_PARALLELISM``; the defaults are OWASP's recommended minimum for Argon2id (19 MiB, 2
passes, 1 lane). The algorithm name stays ``argon2``, so existing hashes verify, and a hash made
with other parameters is re-made with these at the next successful sign-in.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.contrib.auth import hashers


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    def params(self) -> Any:
        return dataclasses.replace(
            super().params(),
            time_cost=settings.ARGON2_TIME_COST,
            memory_cost=settings.ARGON2_MEMORY_KIB,
            parallelism=settings.ARGON2_PARALLELISM,
        )
