"""Fixtures shared by every test: the named cast of users, one per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.core.i18n import compile_catalogues

PASSWORD = "correct-horse-battery-staple"

# The fixed cast: one named user per role. Applicants sign in with their IIN.
CAST: dict[Role, tuple[str, str, str]] = {
    Role.APPLICANT: ("791028302728", "Aruzhan", "Bekova"),
    Role.OPERATOR: ("olga.operator", "Olga", "Operator"),
    Role.EXPERT: ("erik.expert", "Erik", "Expert"),
    Role.COMMISSION: ("kamila.commission", "Kamila", "Commission"),
    Role.CONTRACTS: ("kanat.contracts", "Kanat", "Contracts"),
    Role.ALUMNI: ("aliya.alumni", "Aliya", "Alumni"),
    Role.AUDITOR: ("arman.auditor", "Arman", "Auditor"),
    Role.ADMIN: ("ainur.admin", "Ainur", "Admin"),
}


def pytest_sessionstart(session: pytest.Session) -> None:
    compile_catalogues()


@dataclass
class Cast:
    users: dict[Role, User]

    def __getitem__(self, role: Role) -> User:
        return self.users[role]

    def client(self, role: Role) -> Client:
        client = Client()
        client.force_login(self.users[role])
        return client


def cast_phone(role: Role) -> str:
    """Each cast user has a phone, so signing in through the form takes the SMS code step."""
    return f"+770100000{list(Role).index(role) + 1:02d}"


def make_user(role: Role) -> User:
    username, first, last = CAST[role]
    return user_create(
        acting_user=None,
        username=username,
        password=PASSWORD,
        role=role,
        first_name=first,
        last_name=last,
        iin=username if username.isdigit() else None,
        phone=cast_phone(role),
        language="en",
    )


@pytest.fixture
def cast(db: None) -> Cast:
    return Cast({role: make_user(role) for role in Role})
