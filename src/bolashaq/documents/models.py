"""A document uploaded for one checklist slot of an application.

The file lives in Django's default storage under a name we choose
(``documents/<application pk>/<uuid>.<ext>``), never the user's file name, and is never served
from a public URL. Replacing or removing a slot's file keeps the old row (not current) for the
audit trail; the database allows one current document per application and slot.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bolashaq.applications.models import Application


class Kind(models.TextChoices):
    """What the content is, judged from its bytes (``bolashaq.lib.documents``)."""

    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"


# File name extension and media type of each kind, for storage names and downloads.
EXTENSIONS: dict[str, str] = {Kind.PDF: "pdf", Kind.JPEG: "jpg", Kind.PNG: "png"}
CONTENT_TYPES: dict[str, str] = {
    Kind.PDF: "application/pdf",
    Kind.JPEG: "image/jpeg",
    Kind.PNG: "image/png",
}


class Document(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    # The document id from the application's checklist (``application_checklist``).
    slot = models.CharField(max_length=64)
    # Path in the default storage; chosen by us, unique.
    stored_name = models.CharField(max_length=255, unique=True)
    # The user's file name, cleaned, for display and downloads only.
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    size = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    # True when a machine could not read the content to check it (a scanned motivation
    # letter): an operator reads it during the document check.
    needs_review = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=True)
    # When the document stopped being current (replaced or removed).
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "slot", "-created_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "slot"],
                condition=models.Q(is_current=True),
                name="documents_one_current_per_slot",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="documents_kind_valid"
            ),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="documents_size_positive"),
            models.CheckConstraint(
                condition=models.Q(is_current=True, retired_at__isnull=True)
                | models.Q(is_current=False, retired_at__isnull=False),
                name="documents_retired_iff_not_current",
            ),
        ]

    def __str__(self) -> str:
        return f"document {self.public_id} ({self.slot})"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.kind]
