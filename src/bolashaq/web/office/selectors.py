"""Reads for the back office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from bolashaq.accounts.models import User
from bolashaq.applications.models import Application
from bolashaq.audit.models import AuditEvent
from bolashaq.core.tasks import ATTEMPT_KWARG


def users_per_role() -> dict[str, int]:
    rows = User.objects.values("role").annotate(n=Count("id")).order_by("role")
    return {row["role"]: row["n"] for row in rows}


def recent_audit_events(limit: int = 50) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.order_by("-seq")[:limit]


@dataclass(frozen=True)
class FailedTask:
    task_path: str
    attempt: int
    error: str
    finished_at: datetime | None


def failed_tasks(limit: int = 100) -> list[FailedTask]:
    """Failed task attempts, newest first. Arguments are not shown: they may hold personal data."""
    rows = DBTaskResult.objects.filter(status="FAILED").order_by("-finished_at")[:limit]
    return [
        FailedTask(
            task_path=row.task_path,
            attempt=int((row.args_kwargs or {}).get("kwargs", {}).get(ATTEMPT_KWARG, 1)),
            error=row.exception_class_path,
            finished_at=row.finished_at,
        )
        for row in rows
    ]


# -- the operator's review -----------------------------------------------------------------

STATUS_LABELS: dict[str, str | Promise] = {
    "met": _("Met"),
    "unmet": _("Not met"),
    "unknown": _("Cannot be decided automatically"),
    "referred": _("Referred"),
}


def in_language(message: Any, language: str) -> str:
    """A stored ``{"kk", "ru", "en"}`` message in ``language`` (else the first one given)."""
    if isinstance(message, dict):
        for code in (language, "kk", "ru", "en"):
            if message.get(code):
                return str(message[code])
        return ""
    return "" if message is None else str(message)


def source_text(source: Any) -> str:
    """Where a requirement comes from: a quote from a seed document or a public source."""
    if not isinstance(source, dict):
        return ""
    if source.get("seed"):
        quote = source.get("quote")
        return f"{source['seed']}: “{quote}”" if quote else str(source["seed"])
    if source.get("public_source"):
        return str(source["public_source"])
    return "; ".join(f"{k}: {v}" for k, v in source.items() if k != "from_seeds" and v)


@dataclass(frozen=True)
class RequirementRow:
    id: str
    title: str
    status: str
    status_label: str
    message: str
    source: str
    from_seeds: bool


def review_requirement_rows(result: dict[str, Any], language: str) -> list[RequirementRow]:
    """The rules engine's verdict per requirement (``Result.to_dict()``), in ``language``."""
    rows = []
    for r in result.get("requirements", []):
        source = r.get("source") or {}
        rows.append(
            RequirementRow(
                id=str(r["id"]),
                title=in_language(r.get("title"), language) or str(r["id"]),
                status=str(r["status"]),
                status_label=str(STATUS_LABELS.get(r["status"], r["status"])),
                message=in_language(r.get("message"), language),
                source=source_text(source),
                from_seeds=bool(source.get("seed")) or bool(source.get("from_seeds")),
            )
        )
    return rows


def _question_labels(application: Application, section: str) -> dict[str, str]:
    """Question key → its label in the current language, from the section's portal form."""
    try:
        from bolashaq.applications.forms import section_form_for
    except ImportError:  # pragma: no cover - the forms module is optional here
        return {}
    form_class = section_form_for(application, section)
    if form_class is None:
        return {}
    return {key: str(field.label) for key, field in form_class.base_fields.items() if field.label}


def review_answers(application: Application) -> list[tuple[str, list[tuple[str, str]]]]:
    """The applicant's answers per section: ``[(section title, [(question, answer)])]``."""
    answers = application.answers
    if not isinstance(answers, dict):
        return []
    titles: dict[str, str] = {}
    order: list[str] = []
    try:
        from bolashaq.applications.sections import SECTIONS
    except ImportError:  # pragma: no cover - the sections module is optional here
        pass
    else:
        titles = {s.id: str(s.title) for s in SECTIONS}
        order = [s.id for s in SECTIONS]
    ids = [s for s in order if s in answers] + sorted(s for s in answers if s not in order)
    sections = []
    for section in ids:
        values = answers[section]
        if not isinstance(values, dict):
            values = {"": values}
        labels = _question_labels(application, section) if section in titles else {}
        items = [
            (labels.get(str(k)) or str(k).replace("_", " "), _answer_text(v))
            for k, v in values.items()
        ]
        sections.append((titles.get(section, section.replace("_", " ")), items))
    return sections


def _answer_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, (list, tuple)):
        return ", ".join(_answer_text(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class DocumentRow:
    title: str
    complete: bool
    name: str
    url: str
    needs_review: bool


def review_documents(application: Application, language: str) -> list[DocumentRow] | None:
    """The application's checklist with each current document and its download address, or
    ``None`` while the documents app offers no ``checklist_status``."""
    try:
        from bolashaq.documents.selectors import checklist_status
    except ImportError:  # pragma: no cover - depends on the documents app's progress
        return None
    rows = []
    for item in checklist_status(application):
        document = item.get("document")
        rows.append(
            DocumentRow(
                title=in_language(item.get("title"), language) or str(item.get("id", "")),
                complete=bool(item.get("complete")),
                name=str(getattr(document, "original_name", "") or ""),
                url=_download_url(document) if document is not None else "",
                needs_review=bool(getattr(document, "needs_review", False)),
            )
        )
    return rows


def _download_url(document: Any) -> str:
    public_id = getattr(document, "public_id", None)
    for kwargs in ({"public_id": public_id}, {"pk": getattr(document, "pk", None)}):
        try:
            return reverse("documents:download", kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""
