"""Settings for the test suite: the real settings, with test defaults for unset variables.

Only defaults are set here; ``DATABASE_URL`` from the environment still decides the database
(CI runs the suite on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "true")  # plain HTTP for the test client and live server
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-real-deployment-0123456789")
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("EMAIL_BACKEND", "memory")
os.environ.setdefault("SMS_BACKEND", "outbox")
os.environ.setdefault("VAR_DIR", os.path.join(os.getcwd(), "var", "test"))

from bolashaq.config.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    # Argon2 as in production, with the smallest costs: every test creates the cast of users,
    # and production costs made hashing most of the suite's time.
    "bolashaq.config.test_hashers.CheapArgon2PasswordHasher",
]
