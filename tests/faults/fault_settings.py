"""Settings of the fault suite's server: the test settings plus the fault injection.

Only ``tests/faults/harness.py`` starts a server with these settings (in a separate process, on
loopback). Production code has no test hooks: a request asks for a fault with an ``X-Fault``
header, which only :class:`tests.faults.injection.FaultMiddleware`, installed here, reads.
"""

from __future__ import annotations

from bolashaq.config.test_settings import *  # noqa: F403
from bolashaq.config.test_settings import INSTALLED_APPS, MIDDLEWARE, STORAGES

INSTALLED_APPS = [*INSTALLED_APPS, "tests.faults.apps.FaultsConfig"]
# Outermost, so a fault fires after everything else in the request has run.
MIDDLEWARE = ["tests.faults.injection.FaultMiddleware", *MIDDLEWARE]
# The server runs without DEBUG (as in production) but serves no pages that need collectstatic.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
