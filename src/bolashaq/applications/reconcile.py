"""Reconcile a client's ledger of submissions with the database: nothing lost, nothing doubled.

A load test (``benchmarks/submission_load.py``) or any client that keeps a ledger records every
request it made, one JSON object per line. After the run, :func:`reconcile` proves from the
database that

* every submission the server acknowledged exists exactly once: the application is submitted
  (or decided) with ``submitted_hash`` equal to the hash the client signed, it was submitted
  (``application.submit``) and signed (``otp.verify`` bound to that hash) once, and its content
  still hashes to what was signed;
* the files behind it are intact: each current document's stored bytes hash to
  ``Document.sha256``, and every acknowledged upload is kept with the SHA-256 of the bytes the
  client sent;
* no submission exists that the client was not told about, unless the ledger says that
  request's outcome was unknown (it timed out, the connection dropped, or the server failed);
* the audit chain verifies.

It also lists, without counting them as problems, stored files in an application's document
folder that no document names: an upload interrupted after its file was written and before its
row committed (a killed process) leaves one. No acknowledged upload refers to such a file; it is
not deleted automatically, because a sweep could race an upload whose row is about to commit and,
after a database restore, these files are the only copy of the uploads made since the backup.

Ledger lines (other keys are ignored; lines of other kinds are skipped)::

    {"kind": "run", "intake": "load-…"}                       # scope: this intake's applications
    {"kind": "request", "type": "submit", "application": 12, "content_hash": "…",
     "outcome": "ok" | "refused" | "unknown", "acknowledged": true, "at": 1767000000.0}
    {"kind": "request", "type": "upload", "application": 12, "slot": "diploma",
     "sha256": "…", "outcome": "ok", "acknowledged": true, "at": …}

``acknowledged`` means the server answered that it was done (a submit answered 200, an upload
201); ``outcome`` is ``unknown`` when no answer came or the answer does not tell.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.storage import storages
from django.db.models import Count

from bolashaq.applications.actions import application_content_hash
from bolashaq.applications.models import Application
from bolashaq.applications.states import State
from bolashaq.audit.models import AuditEvent
from bolashaq.audit.selectors import audit_chain_verify

# States an application reaches only by being submitted (withdrawn is reported on its own).
SUBMITTED_OR_LATER = frozenset({State.SUBMITTED, State.IN_REVIEW, State.ACCEPTED, State.REFUSED})
SIGN_PURPOSE = "sign_application"
# Problems listed in full; beyond this, a count.
MAX_LISTED = 50


class LedgerError(Exception):
    """The ledger cannot be read (a line that is not a JSON object)."""


@dataclass
class ReconcileReport:
    records: int = 0
    intakes: list[str] = field(default_factory=list)
    acknowledged: int = 0
    unknown: int = 0
    unknown_found_submitted: int = 0
    uploads_acknowledged: int = 0
    applications_checked: int = 0
    documents_checked: int = 0
    unreferenced_files: list[str] = field(default_factory=list)
    audit_events: int = 0
    audit_ok: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The report as text, problems last."""
        scope = ", ".join(self.intakes) or "the applications named in the ledger"
        out = [
            f"Ledger: {self.records} record(s); scope: {scope}.",
            f"Submissions acknowledged: {self.acknowledged}; outcome unknown: {self.unknown} "
            f"({self.unknown_found_submitted} of them found submitted).",
            f"Applications checked: {self.applications_checked}; uploads acknowledged: "
            f"{self.uploads_acknowledged}; stored files hashed: {self.documents_checked}.",
            f"Stored files no document names: {len(self.unreferenced_files)}"
            + (
                " (uploads interrupted after the file was written)."
                if self.unreferenced_files
                else "."
            ),
            f"Audit chain: {self.audit_events} event(s), "
            f"{'verifies' if self.audit_ok else 'does NOT verify'}.",
        ]
        if self.ok:
            out.append("OK: every acknowledged submission exists exactly once, intact.")
        else:
            out.append(f"FAILED: {len(self.problems)} problem(s):")
            listed = self.problems[:MAX_LISTED]
            out += [f"  - {problem}" for problem in listed]
            if len(self.problems) > len(listed):
                out.append(f"  ... and {len(self.problems) - len(listed)} more")
        return out


def ledger_read(path: Path) -> Iterator[dict[str, Any]]:
    """The ledger's records, in order; raises :class:`LedgerError` on a malformed line."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LedgerError(f"line {number} is not JSON: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise LedgerError(f"line {number} is not a JSON object")
            yield record


@dataclass
class _Submissions:
    """What the ledger says about one application's submit requests."""

    acknowledged: dict[str, float] = field(default_factory=dict)  # hash -> latest time
    unknown: set[str] = field(default_factory=set)

    @property
    def latest_acknowledged(self) -> str:
        return max(self.acknowledged, key=lambda h: self.acknowledged[h])


def _application_id(record: dict[str, Any]) -> int | None:
    value = record.get("application")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _file_sha256(name: str) -> tuple[str, int] | None:
    digest = hashlib.sha256()
    size = 0
    try:
        with storages["default"].open(name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest(), size


def _unreferenced_files(application_ids: Iterable[int]) -> list[str]:
    """Files in these applications' document folders (``documents/<id>/``, as
    ``document_upload`` names them) that no document row names."""
    from bolashaq.documents.models import Document

    ids = sorted(application_ids)
    named = set(
        Document.objects.filter(application_id__in=ids).values_list("stored_name", flat=True)
    )
    storage = storages["default"]
    found = []
    for pk in ids:
        folder = f"documents/{pk}"
        try:
            _folders, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        found += sorted(f"{folder}/{name}" for name in files if f"{folder}/{name}" not in named)
    return found


def reconcile(records: Iterable[dict[str, Any]], *, intakes: Iterable[str] = ()) -> ReconcileReport:
    """Check the database against the ledger ``records``; see the module's description.

    ``intakes`` (else the ledger's ``run`` records) bounds the search for submissions the
    ledger does not acknowledge; without either, only applications the ledger names are
    searched.
    """
    from bolashaq.documents.models import Document

    report = ReconcileReport()
    submissions: dict[int, _Submissions] = defaultdict(_Submissions)
    uploads: dict[tuple[int, str], set[str]] = defaultdict(set)
    named: set[int] = set()
    run_intakes: list[str] = []
    for record in records:
        report.records += 1
        if record.get("kind") == "run" and isinstance(record.get("intake"), str):
            run_intakes.append(record["intake"])
            continue
        if record.get("kind", "request") != "request":
            continue
        application_id = _application_id(record)
        if application_id is None:
            continue
        named.add(application_id)
        acknowledged = record.get("acknowledged") is True
        if record.get("type") == "submit" and isinstance(record.get("content_hash"), str):
            content_hash = record["content_hash"]
            entry = submissions[application_id]
            if acknowledged:
                at = float(record.get("at") or 0)
                entry.acknowledged[content_hash] = max(at, entry.acknowledged.get(content_hash, at))
            elif record.get("outcome") == "unknown":
                entry.unknown.add(content_hash)
        elif record.get("type") == "upload" and acknowledged:
            slot, sha256 = record.get("slot"), record.get("sha256")
            if isinstance(slot, str) and isinstance(sha256, str):
                uploads[(application_id, slot)].add(sha256)
    report.intakes = sorted(set(intakes) or set(run_intakes))
    report.acknowledged = sum(len(s.acknowledged) for s in submissions.values())
    report.unknown = sum(
        len(s.unknown - set(s.acknowledged)) for s in submissions.values() if s.unknown
    )
    report.uploads_acknowledged = sum(len(hashes) for hashes in uploads.values())
    problems = report.problems

    scope = Application.objects.select_related("intake")
    if report.intakes:
        scope = scope.filter(intake__code__in=report.intakes)
    else:
        scope = scope.filter(pk__in=named)
    applications = {a.pk: a for a in scope}
    acknowledged_ids = {pk for pk, s in submissions.items() if s.acknowledged}
    missing_ids = acknowledged_ids - set(applications)
    # Applications the ledger names outside the scope are still checked.
    applications.update(
        (a.pk, a) for a in Application.objects.select_related("intake").filter(pk__in=missing_ids)
    )
    report.applications_checked = len(applications)

    submit_events = Counter(
        {
            int(row["object_id"]): row["n"]
            for row in AuditEvent.objects.filter(
                action="application.submit",
                object_type="applications.application",
                object_id__in=[str(pk) for pk in applications],
            )
            .values("object_id")
            .annotate(n=Count("pk"))
        }
    )
    acknowledged_hashes = [h for s in submissions.values() for h in s.acknowledged]
    signings = Counter(
        AuditEvent.objects.filter(
            action="otp.verify",
            new__purpose=SIGN_PURPOSE,
            new__binding__in=acknowledged_hashes,
        ).values_list("new__binding", flat=True)
    )
    current_documents: dict[int, list[Document]] = defaultdict(list)
    for document in Document.objects.filter(application_id__in=acknowledged_ids, is_current=True):
        current_documents[document.application_id].append(document)
    hashed: dict[int, tuple[str, int] | None] = {}

    def file_problem(document: Document) -> str | None:
        if document.pk not in hashed:
            hashed[document.pk] = _file_sha256(document.stored_name)
        found = hashed[document.pk]
        if found is None:
            return f"document {document.public_id} ({document.slot}): its file is missing"
        if found != (document.sha256, document.size):
            return (
                f"document {document.public_id} ({document.slot}): its stored bytes do not "
                "match its SHA-256"
            )
        return None

    for pk in sorted(acknowledged_ids):
        entry = submissions[pk]
        content_hash = entry.latest_acknowledged
        short = content_hash[:12]
        application = applications.get(pk)
        if application is None:
            problems.append(f"application {pk}: acknowledged submission (hash {short}) is missing")
            continue
        if application.state not in SUBMITTED_OR_LATER:
            problems.append(
                f"application {pk}: acknowledged submission (hash {short}) is in state "
                f"{application.state}"
            )
            continue
        if application.submitted_hash != content_hash:
            problems.append(
                f"application {pk}: submitted hash {application.submitted_hash[:12] or '(none)'} "
                f"differs from the acknowledged {short}"
            )
            continue
        # One submit event per distinct hash the client sent (acknowledged or not known).
        allowed = len(set(entry.acknowledged) | entry.unknown)
        submitted_times = submit_events[pk]
        if not len(entry.acknowledged) <= submitted_times <= allowed:
            problems.append(
                f"application {pk}: submitted {submitted_times} time(s) for "
                f"{len(entry.acknowledged)} acknowledged submission(s)"
            )
        for signed_hash in entry.acknowledged:
            if signings[signed_hash] != 1:
                problems.append(
                    f"application {pk}: hash {signed_hash[:12]} was signed "
                    f"{signings[signed_hash]} time(s), not once"
                )
        duplicates = (
            Application.objects.filter(
                applicant_id=application.applicant_id,
                intake_id=application.intake_id,
                state__in=SUBMITTED_OR_LATER,
            )
            .exclude(pk=pk)
            .values_list("pk", flat=True)
        )
        for duplicate in duplicates:
            problems.append(
                f"application {pk}: the same applicant has another submitted application "
                f"{duplicate} in intake {application.intake.code}"
            )
        if application_content_hash(application) != application.submitted_hash:
            problems.append(
                f"application {pk}: its answers or documents changed after it was signed"
            )
        for document in current_documents[pk]:
            problem = file_problem(document)
            if problem:
                problems.append(f"application {pk}: {problem}")

    for (pk, slot), hashes in sorted(uploads.items()):
        kept = {
            d.sha256: d
            for d in Document.objects.filter(application_id=pk, slot=slot, sha256__in=hashes)
        }
        for sha256 in sorted(hashes - set(kept)):
            problems.append(
                f"application {pk}: acknowledged upload to {slot} (SHA-256 {sha256[:12]}) "
                "is not kept"
            )
        for document in kept.values():
            problem = file_problem(document)
            if problem:
                problems.append(f"application {pk}: {problem}")
    report.documents_checked = sum(1 for found in hashed.values() if found is not None)
    report.unreferenced_files = _unreferenced_files(applications)

    for pk in sorted(set(applications) - acknowledged_ids):
        other = applications[pk]
        submitted = other.state in SUBMITTED_OR_LATER or (
            other.state == State.WITHDRAWN and other.submitted_at is not None
        )
        if not submitted:
            continue
        if pk in submissions and other.submitted_hash in submissions[pk].unknown:
            report.unknown_found_submitted += 1
            continue
        problems.append(
            f"application {pk}: submitted (state {other.state}) but the ledger never "
            "acknowledged it nor lost an answer for it"
        )

    chain = audit_chain_verify()
    report.audit_events, report.audit_ok = chain.checked, chain.ok
    if not chain.ok:
        problems.append(f"audit chain: {chain.problem}")
    return report
