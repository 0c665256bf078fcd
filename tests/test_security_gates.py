"""Security gates: headers on every page, HTTPS-only in production, no secrets in the logs.

`manage.py check --deploy` with production variables is tested in
``src/bolashaq/config/tests/test_deploy_check.py``; these tests check what the running
application actually sends and writes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.roles import Role
from bolashaq.lib.iin import make_iin
from bolashaq.notifications.models import SmsMessage

ROOT = Path(__file__).resolve().parents[1]

# --- headers ------------------------------------------------------------------------------------


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


_PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")
_SAMPLE = {"int": "999999", "uuid": str(uuid.UUID(int=1)), "slug": "passport", None: "999999"}


def every_page() -> list[str]:
    """Every URL the site routes, parameters filled with values that match nothing (404s are
    pages too), plus a path that routes nowhere."""
    paths = {
        "/" + _PARAMETER.sub(lambda m: _SAMPLE.get(m.group(1), "x"), route)
        for route in _routes(get_resolver().url_patterns)
    }
    return sorted(paths | {"/no-such-page/"})


def header_problems(path: str, response) -> list[str]:
    expected = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    problems = [
        f"{path} ({response.status_code}): {name} is {response.get(name)!r}, not {value!r}"
        for name, value in expected.items()
        if response.get(name) != value
    ]
    csp = response.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"):
        if directive not in csp:
            problems.append(f"{path} ({response.status_code}): CSP lacks {directive!r}")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        problems.append(f"{path} ({response.status_code}): no Permissions-Policy")
    return problems


def test_every_html_response_carries_the_security_headers(cast) -> None:
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role in Role:
        clients[str(role)] = cast.client(role)
        clients[str(role)].raise_request_exception = False
    problems: list[str] = []
    html = 0
    for who, client in clients.items():
        for path in every_page():
            response = client.get(path)
            if response.get("Content-Type", "").startswith("text/html"):
                html += 1
                problems += [f"{who} {p}" for p in header_problems(path, response)]
    # A refused sign-in and a page that does not exist are pages too.
    refused = Client().post(reverse("accounts:sign_in"), {"username": "x", "password": "y"})
    problems += header_problems("failed sign-in", refused)
    assert html > 100, f"only {html} HTML responses were checked"
    assert problems == []


def _production_values() -> dict[str, object]:
    """The security settings a deployment gets from the production variables."""
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "LANGUAGE_COOKIE_SECURE",
    ]
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    harness = {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in harness}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "p" * 60,
            "ALLOWED_HOSTS": "bolashaq.example.kz",
            "DJANGO_SETTINGS_MODULE": "bolashaq.config.settings",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    values: dict[str, object] = json.loads(result.stdout)
    return values


def test_production_sends_hsts_redirects_to_https_and_marks_cookies_secure(settings, cast) -> None:
    production = _production_values()
    assert production["DEBUG"] is False
    for name, value in production.items():
        setattr(settings, name, value)

    plain = Client().get("/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/"

    page = Client().get(reverse("accounts:sign_in"), secure=True)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"

    staff = cast[Role.OPERATOR]  # no phone: the password alone signs in
    client = Client()
    signed_in = client.post(
        reverse("accounts:sign_in"),
        {"username": staff.username, "password": "correct-horse-battery-staple"},
        secure=True,
    )
    assert signed_in.status_code == 302
    cookies = signed_in.cookies
    assert cookies, "signing in set no cookies"
    for name in cookies:
        assert cookies[name]["secure"], f"the {name} cookie is not Secure"
    assert cookies[settings.SESSION_COOKIE_NAME]["httponly"]


# --- logs ---------------------------------------------------------------------------------------

PASSWORD = "Tulpar-Steppe-2026!"
WRONG_PASSWORD = "Wrong-Horse-2026?"
NEW_PASSWORD = "Another-Steppe-2026#"
PHONE = "+77011234567"
NEW_PHONE = "+77057654321"
IIN = make_iin(date(1999, 4, 12), "female", 1234)
NEW_IIN = make_iin(date(2001, 8, 30), "male", 4321)
PAGE_IIN = make_iin(date(1995, 1, 20), "female", 2345)
PAGE_PHONE = "+77471112233"


def _phone_forms(phone: str) -> list[str]:
    digits = phone[2:]  # the 10 digits after +7
    return [
        digits,
        f"{digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}",
        f"{digits[:3]}-{digits[3:6]}-{digits[6:8]}-{digits[8:]}",
    ]


def _record_text(record: logging.LogRecord) -> str:
    text = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
    # Everything attached to the record too: arguments, extra fields, the request object.
    return text + " " + repr(record.__dict__)


def _codes_sent() -> set[str]:
    return {
        code
        for body in SmsMessage.objects.values_list("body", flat=True)
        for code in re.findall(r"(?<!\d)\d{4,8}(?!\d)", body)
    }


def _try_code_steps(client: Client, url_name: str, codes: set[str]) -> None:
    """Enter a wrong code and then every code sent, where the step exists."""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return
    client.post(url, {"code": "000000"})
    for code in sorted(codes):
        client.post(url, {"code": code})


def test_no_password_iin_phone_or_code_reaches_the_logs(db, caplog) -> None:
    # Full debug logging, with SQL logging switched on as DEBUG would: the logging
    # configuration must keep queries (which carry personal data) out regardless.
    caplog.set_level(logging.DEBUG)
    connection.force_debug_cursor = True
    try:
        applicant = user_create(
            acting_user=None,
            username=IIN,
            password=PASSWORD,
            role=Role.APPLICANT,
            first_name="Aigerim",
            last_name="Nurlanova",
            iin=IIN,
            phone=PHONE,
            language="en",
        )
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        sign_in = reverse("accounts:sign_in")
        assert client.post(sign_in, {"username": IIN, "password": WRONG_PASSWORD}).status_code in {
            400,
            429,
        }
        client.post(sign_in, {"username": IIN, "password": PASSWORD})
        _try_code_steps(client, "accounts:sign_in_code", _codes_sent())

        # The public rules engine, given identity it does not need.
        api = Client(HTTP_ACCEPT_LANGUAGE="en")
        api.post(
            "/api/v1/eligibility",
            data=json.dumps({"programme": "master", "iin": IIN, "phone": PHONE}),
            content_type="application/json",
        )
        # Registration, through the API and the page, wherever they exist.
        consent = api.get("/api/v1/accounts/consent")
        version = consent.json().get("version", "") if consent.status_code == 200 else ""
        registration = {
            "iin": NEW_IIN,
            "last_name": "Sarsenov",
            "first_name": "Daulet",
            "birth_date": "2001-08-30",
            "phone": NEW_PHONE,
            "email": "daulet@example.kz",
            "password": NEW_PASSWORD,
            "language": "en",
            "consent_version": version,
            "consent": True,
        }
        api.post(
            "/api/v1/accounts/register",
            data=json.dumps(registration),
            content_type="application/json",
        )
        for code in ["000000", *sorted(_codes_sent())]:
            api.post(
                "/api/v1/accounts/register/confirm",
                data=json.dumps({"code": code}),
                content_type="application/json",
            )
        for password in (WRONG_PASSWORD, PASSWORD):
            api.post(
                "/api/v1/accounts/sign-in",
                data=json.dumps({"username": IIN, "password": password}),
                content_type="application/json",
            )
        page = Client(HTTP_ACCEPT_LANGUAGE="en")
        with contextlib.suppress(NoReverseMatch):
            page.post(
                reverse("accounts:register"),
                {
                    **registration,
                    "iin": PAGE_IIN,
                    "birth_date": "1995-01-20",
                    "phone": PAGE_PHONE,
                    "email": "saule@example.kz",
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                },
            )
        codes = _codes_sent()
        _try_code_steps(page, "accounts:register_confirm", codes)
    finally:
        connection.force_debug_cursor = False

    assert applicant.pk
    secrets = {
        "password": [PASSWORD, WRONG_PASSWORD, NEW_PASSWORD],
        "IIN": [IIN, NEW_IIN, PAGE_IIN],
        "phone": [*_phone_forms(PHONE), *_phone_forms(NEW_PHONE), *_phone_forms(PAGE_PHONE)],
        "SMS code": sorted(codes),
    }
    leaks = [
        f"{kind} {value!r} in {record.name} {record.levelname}: {record.getMessage()[:200]!r}"
        for record in caplog.records
        for kind, values in secrets.items()
        for value in values
        if value in _record_text(record)
    ]
    assert leaks == []
    assert caplog.records, "nothing was logged at all: the capture is not working"
