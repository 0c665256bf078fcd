"""Who the demo users are. The password is public: demo data must never reach production."""

from __future__ import annotations

from dataclasses import dataclass

from bolashaq.accounts.roles import Role

DEMO_PASSWORD = "bolashaq-demo-2026"  # noqa: S105 - public by design, DEBUG only


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    first_name: str
    last_name: str
    language: str = "kk"


STAFF = [
    DemoUser("operator", Role.OPERATOR, "Aigerim", "Operatorova", "ru"),
    DemoUser("expert", Role.EXPERT, "Nurlan", "Ekspertov", "kk"),
    DemoUser("commission", Role.COMMISSION, "Saule", "Komissiyeva", "ru"),
    DemoUser("contracts", Role.CONTRACTS, "Daniyar", "Shartov", "kk"),
    DemoUser("alumni", Role.ALUMNI, "Gulnara", "Tulekova", "ru"),
    DemoUser("auditor", Role.AUDITOR, "Yerlan", "Auditov", "en"),
    DemoUser("admin", Role.ADMIN, "Asel", "Adminova", "en"),
]

# Applicants sign in with their IIN (valid check digits; see bolashaq.lib.iin).
APPLICANTS = [
    DemoUser("791028302728", Role.APPLICANT, "Aruzhan", "Bekova", "kk"),
    DemoUser("061211600012", Role.APPLICANT, "Timur", "Sadykov", "ru"),
    DemoUser("950315401371", Role.APPLICANT, "Dana", "Omarova", "en"),
]

# The demo intake is always open: it starts before today and closes after (dates relative to now).
DEMO_INTAKE = {
    "code": "demo-master",
    "titles": {
        "kk": "Магистратура: демонстрациялық қабылдау",
        "ru": "Магистратура: демонстрационный приём",
        "en": "Master's: demonstration intake",
    },
    "rule_set": "2023",
    "opened_days_ago": 20,
    "closes_in_days": 40,
}
# (IIN, category, the events that bring the application to its demo stage)
DEMO_APPLICATIONS = [
    ("791028302728", "general", []),
    ("061211600012", "engineering", ["submit", "accept"]),
    ("950315401371", "rural", ["submit", "refuse"]),
]

ALL = [APPLICANTS[0], *STAFF, *APPLICANTS[1:]]
