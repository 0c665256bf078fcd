"""Fixtures for document tests: a private storage folder, an internship application (its
checklist has a motivation letter) and helpers to upload files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.applications.actions import application_create
from bolashaq.applications.models import Application
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Intake, Programme
from bolashaq.lib.tests import corpus

# Another applicant (a valid IIN from the demo data), for "not yours" tests.
OTHER_IIN = "061211600012"


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    """Documents go to a fresh folder per test (the storage is rebuilt on the change)."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": "/media-not-served/"},
        },
    }
    return root


@pytest.fixture
def intake(cast) -> Intake:
    now = timezone.now()
    return intake_create(
        acting_user=cast[Role.OPERATOR],
        code="internship-2026",
        programme=Programme.INTERNSHIP,
        titles={"kk": "Тағылымдама", "ru": "Стажировка", "en": "Internship"},
        rule_set="2026-internship",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


@pytest.fixture
def application(cast, intake: Intake, media: Path) -> Application:
    applicant = cast[Role.APPLICANT]
    return application_create(
        acting_user=applicant, applicant=applicant, intake=intake, category="engineering"
    )


@pytest.fixture
def other_applicant(cast) -> User:
    return user_create(
        acting_user=None,
        username=OTHER_IIN,
        password="another-long-password-42",
        role=Role.APPLICANT,
        first_name="Timur",
        last_name="Sadykov",
        iin=OTHER_IIN,
        language="en",
    )


Upload = Callable[..., SimpleUploadedFile]


@pytest.fixture
def upload() -> Upload:
    def make(data: bytes, name: str = "scan.pdf", content_type: str = "application/pdf"):
        return SimpleUploadedFile(name, data, content_type=content_type)

    return make


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


GOOD_PDF = corpus.text_pdf(["Diploma of higher education", "Nazarbayev University"])

KK_LETTER = [
    "Құрметті конкурстық комиссия мүшелері!",
    "Мен Павлодар қаласындағы зауытта алты жыл бойы инженер болып жұмыс істеймін.",
    "Мюнхен техникалық университетінде тағылымдамадан өтіп, жаңа әдістерді үйренгім келеді.",
    "Тағылымдамадан кейін кемінде үш жыл Қазақстанда жұмыс істеу міндетімді түсінемін.",
    "2026 жылғы 15 наурыз",
    "Қолы: Ахметова Ә.Н.",
]
