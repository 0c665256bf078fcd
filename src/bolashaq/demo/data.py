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
    # Signing in sends a code to this phone; with the outbox SMS backend read it at /dev/outbox/.
    phone: str = ""


STAFF = [
    DemoUser("operator", Role.OPERATOR, "Aigerim", "Operatorova", "ru", phone="+77005550001"),
    DemoUser("expert", Role.EXPERT, "Nurlan", "Ekspertov", "kk", phone="+77005550002"),
    DemoUser("commission", Role.COMMISSION, "Saule", "Komissiyeva", "ru", phone="+77005550003"),
    DemoUser("contracts", Role.CONTRACTS, "Daniyar", "Shartov", "kk", phone="+77005550004"),
    DemoUser("alumni", Role.ALUMNI, "Gulnara", "Tulekova", "ru", phone="+77005550005"),
    DemoUser("auditor", Role.AUDITOR, "Yerlan", "Auditov", "en", phone="+77005550006"),
    DemoUser("admin", Role.ADMIN, "Asel", "Adminova", "en", phone="+77005550007"),
]

# Applicants sign in with their IIN (valid check digits; see bolashaq.lib.iin).
APPLICANTS = [
    DemoUser("791028302728", Role.APPLICANT, "Aruzhan", "Bekova", "kk", phone="+77005550008"),
    DemoUser("061211600012", Role.APPLICANT, "Timur", "Sadykov", "ru", phone="+77005550009"),
    DemoUser("950315401371", Role.APPLICANT, "Dana", "Omarova", "en", phone="+77005550010"),
    DemoUser("980402312349", Role.APPLICANT, "Yerzhan", "Kassymov", "ru", phone="+77005550011"),
]


@dataclass(frozen=True)
class DemoIntake:
    """An intake that is always open: it opened before today and closes after."""

    code: str
    titles: dict[str, str]
    rule_set: str
    opened_days_ago: int
    closes_in_days: int


DEMO_INTAKE = DemoIntake(
    code="demo-master",
    titles={
        "kk": "Магистратура: демонстрациялық қабылдау",
        "ru": "Магистратура: демонстрационный приём",
        "en": "Master's: demonstration intake",
    },
    rule_set="2023",
    opened_days_ago=20,
    closes_in_days=40,
)


@dataclass(frozen=True)
class DemoApplication:
    """An application brought to its stage through the real actions and the real check."""

    iin: str
    category: str
    #: "ready" (filled and uploaded, waiting for the signature), or "submitted" (the
    #: automatic check has answered)
    stage: str
    #: answers: "eligible", "expired_certificate" or "percent_gpa"
    answers: str


DEMO_APPLICATIONS = [
    DemoApplication("791028302728", "general", "ready", "eligible"),
    DemoApplication("061211600012", "general", "submitted", "eligible"),
    DemoApplication("950315401371", "general", "submitted", "expired_certificate"),
    DemoApplication("980402312349", "rural", "submitted", "percent_gpa"),
]

ALL = [APPLICANTS[0], *STAFF, *APPLICANTS[1:]]
