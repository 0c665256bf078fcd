"""The roles of the system and where each lands after signing in (data, not branching code)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    OPERATOR = "operator", _("CIP operator")
    EXPERT = "expert", _("Independent Expert Commission member")
    COMMISSION = "commission", _("Republican Commission member")
    CONTRACTS = "contracts", _("Contracts officer")
    ALUMNI = "alumni", _("Alumni officer")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


# URL name of each audience's home page.
HOME_URL_NAME: dict[str, str] = {
    Role.APPLICANT: "portal:home",
    Role.OPERATOR: "office:home",
    Role.EXPERT: "panel:home",
    Role.COMMISSION: "commission:home",
    Role.CONTRACTS: "office:contracts",
    Role.ALUMNI: "office:alumni",
    Role.AUDITOR: "office:audit",
    Role.ADMIN: "office:admin",
}

STAFF_ROLES = frozenset({Role.OPERATOR, Role.CONTRACTS, Role.ALUMNI, Role.AUDITOR, Role.ADMIN})
