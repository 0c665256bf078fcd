"""Writes about applications: each one transaction, one audit event, one state change at most.

The applicant's path: ``application_start`` → ``application_save_section`` (as they type) →
``application_sign_request`` (a code bound to the hash of exactly what is submitted) →
``application_submit`` → the background check ``application_check`` accepts, refuses or refers
to an operator (``review.application_refer``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bolashaq.accounts.models import User
from bolashaq.accounts.roles import Role
from bolashaq.applications.models import Application, LevelAward
from bolashaq.applications.notify import application_notify_later
from bolashaq.applications.states import Event, State, next_state
from bolashaq.audit.actions import audit_record
from bolashaq.competitions.models import Intake
from bolashaq.core.db import joined_transaction
from bolashaq.core.errors import Conflict, DomainError, NotAllowed, NotFound

if TYPE_CHECKING:
    from bolashaq.documents.models import Document


class WindowClosed(DomainError):
    code = "window_closed"
    status = 409


def application_create(
    *,
    acting_user: User,
    applicant: User,
    intake: Intake,
    category: str,
    answers: dict[str, Any] | None = None,
) -> Application:
    with transaction.atomic():
        application = Application.objects.create(
            applicant=applicant,
            intake=intake,
            programme=intake.programme,
            category=category,
            answers=answers or {},
        )
        # Answers are personal data: the log names the prefilled sections and their digest.
        audit_record(
            acting_user=acting_user,
            action="application.create",
            target=application,
            new={
                "intake": intake.code,
                "programme": intake.programme,
                "category": category,
                "prefilled": sorted(answers or {}),
                "digest": _digest(answers or {}),
            },
        )
    return application


def _require_window_open(intake: Intake) -> None:
    now = timezone.now()
    if intake.opens_at <= now < intake.closes_at:
        return
    raise WindowClosed(
        _(
            "Applications for this intake are accepted from %(opens)s to %(closes)s "
            "(Astana time). It is %(now)s now."
        )
        % {
            "opens": timezone.localtime(intake.opens_at).strftime("%d.%m.%Y %H:%M"),
            "closes": timezone.localtime(intake.closes_at).strftime("%d.%m.%Y %H:%M"),
            "now": timezone.localtime(now).strftime("%d.%m.%Y %H:%M"),
        }
    )


def _require_no_award(applicant: User, programme: str) -> None:
    if LevelAward.objects.filter(person=applicant, programme=programme).exists():
        raise NotAllowed(
            _(
                "You already hold a Bolashak scholarship at this level. "
                "A scholarship is awarded once per level."
            ),
            code="award_held",
        )


def application_start(*, acting_user: User, intake: Intake, category: str) -> Application:
    """Open a draft for the signed-in applicant in an open intake, or return the one they have."""
    from bolashaq.applications.profile import categories_of

    if acting_user.role != Role.APPLICANT:
        raise NotAllowed(_("Only applicants can apply."))
    _require_window_open(intake)
    _require_no_award(acting_user, intake.programme)
    if category not in categories_of(intake.rule_set, intake.programme):
        raise DomainError(_("Choose a category offered in this intake."), code="bad_category")
    existing = (
        Application.objects.filter(applicant=acting_user, intake=intake)
        .exclude(state=State.WITHDRAWN)
        .first()
    )
    if existing is not None:
        return existing
    # What the account already holds fills the personal details; the applicant checks them.
    personal = {
        "last_name": acting_user.last_name,
        "first_name": acting_user.first_name,
        "patronymic": acting_user.patronymic,
        "birth_date": acting_user.birth_date.isoformat() if acting_user.birth_date else "",
    }
    try:
        application = application_create(
            acting_user=acting_user,
            applicant=acting_user,
            intake=intake,
            category=category,
            answers={"personal": personal},
        )
    except IntegrityError:
        # A second tab started the same application a moment earlier: that one is the draft.
        existing = (
            Application.objects.filter(applicant=acting_user, intake=intake)
            .exclude(state=State.WITHDRAWN)
            .first()
        )
        if existing is None:
            raise
        return existing
    return application


# Row locks on an application take only its own row (not the intake that every draft shares,
# which select_related would also lock) and as NO KEY UPDATE, so they never block the foreign-key
# checks PostgreSQL makes at commit, after the audit head is locked: under load, both were
# deadlocks (found by benchmarks/submission_load.py).
def _locking() -> QuerySet[Application]:
    return Application.objects.select_for_update(of=("self",), no_key=True)


def _owned_draft(acting_user: User, application_id: int) -> Application:
    application = (
        _locking().select_related("intake").filter(pk=application_id, applicant=acting_user).first()
    )
    if application is None:
        raise NotFound(_("No such application."))
    if application.state != State.DRAFT:
        raise Conflict(
            _("This application can no longer be changed: its status is “%(state)s”.")
            % {"state": application.get_state_display()},
            code="not_draft",
        )
    return application


def application_save_section(
    *,
    acting_user: User,
    application: Application,
    section: str,
    values: dict[str, Any],
    expected_version: int | None = None,
) -> Application:
    """Store one section's answers (already validated by its form); bump the version.

    ``expected_version`` guards against a stale tab overwriting newer answers: when given and
    not the current version, nothing is saved and ``Conflict`` is raised.
    """
    with transaction.atomic():
        locked = _owned_draft(acting_user, application.pk)
        if expected_version is not None and expected_version != locked.version:
            raise Conflict(
                _(
                    "This application was changed in another window. "
                    "Reload the page to see the latest answers."
                ),
                code="stale_version",
            )
        answers = dict(locked.answers)
        if answers.get(section) == values:
            return locked
        answers[section] = values
        locked.answers = answers
        locked.version += 1
        locked.save(update_fields=["answers", "version", "updated_at"])
        # The answers are personal data: the log keeps which section changed and a digest.
        audit_record(
            acting_user=acting_user,
            action="application.save_section",
            target=locked,
            new={"section": section, "version": locked.version, "digest": _digest(values)},
        )
    return locked


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def application_content_hash(
    application: Application, *, current: Mapping[str, Document] | None = None
) -> str:
    """SHA-256 of exactly what is submitted: the answers, the choices and each document's hash.

    ``current``: the application's current documents by slot, if the caller has read them.
    """
    from bolashaq.documents.selectors import document_hashes

    hashes = (
        document_hashes(application)
        if current is None
        else {slot: current[slot].sha256 for slot in sorted(current)}
    )

    return _digest(
        {
            "application": application.pk,
            "version": application.version,
            "intake": application.intake.code,
            "programme": application.programme,
            "category": application.category,
            "answers": application.answers,
            "documents": hashes,
        }
    )


def application_sign_request(*, acting_user: User, application: Application) -> str:
    """Send the applicant a code bound to the hash of this version; return the hash."""
    from bolashaq.accounts.otp import OtpPurpose, otp_send
    from bolashaq.applications.selectors import application_readiness
    from bolashaq.documents.selectors import documents_current

    with transaction.atomic():
        locked = _owned_draft(acting_user, application.pk)
        current = documents_current(locked)
        readiness = application_readiness(locked, current=current)
        if not readiness.ready:
            raise Conflict(
                _("Complete every section and upload every document before you sign."),
                code="not_ready",
            )
        content_hash = application_content_hash(locked, current=current)
    otp_send(user=acting_user, purpose=OtpPurpose.SIGN_APPLICATION, binding=content_hash)
    return content_hash


def application_submit(
    *, acting_user: User, application: Application, content_hash: str, code: str
) -> Application:
    """Sign and submit. Idempotent: a retry, a double click or a second tab get one submission.

    The code must have been sent for ``content_hash`` and ``content_hash`` must still be the
    hash of the application; the intake window must be open on the server's clock.
    """
    from bolashaq.accounts.otp import OtpPurpose, otp_check
    from bolashaq.applications.selectors import application_readiness
    from bolashaq.documents.selectors import documents_current

    with transaction.atomic():
        locked = (
            _locking()
            .select_related("intake")
            .filter(pk=application.pk, applicant=acting_user)
            .first()
        )
        if locked is None:
            raise NotFound(_("No such application."))
        if locked.state != State.DRAFT and locked.submitted_hash == content_hash:
            return locked  # already submitted: the same answer for the retry
        if locked.state != State.DRAFT:
            next_state(locked.state, Event.SUBMIT)  # raises IllegalTransition with the reason
        current = documents_current(locked)
        if application_content_hash(locked, current=current) != content_hash:
            raise Conflict(
                _(
                    "The application changed after you opened the review page. "
                    "Review it again and sign the current version."
                ),
                code="changed_since_review",
            )
        _require_window_open(locked.intake)
        _require_no_award(acting_user, locked.programme)
        if not application_readiness(locked, current=current).ready:
            raise Conflict(
                _("Complete every section and upload every document before you sign."),
                code="not_ready",
            )
        # A refused code must not roll back: the failed attempt has to stay counted (lock-out),
        # so the block commits and the refusal is raised after it.
        refusal = otp_check(
            user=acting_user,
            purpose=OtpPurpose.SIGN_APPLICATION,
            code=code,
            binding=content_hash,
        )
        if refusal is None:
            locked = application_transition(
                acting_user=acting_user,
                application=locked,
                event=Event.SUBMIT,
                locked=True,
                submitted_hash=content_hash,
            )
            _enqueue_check(application_id=locked.pk, content_hash=content_hash)
    if refusal is not None:
        raise refusal
    return locked


def _enqueue_check(*, application_id: int, content_hash: str) -> None:
    """Queue the check with the submission, so a crash after the commit cannot lose it."""
    from bolashaq.applications.checks import application_check
    from bolashaq.core.tasks import enqueue_with_transaction

    enqueue_with_transaction(
        application_check, application_id=application_id, content_hash=content_hash
    )


def application_withdraw(*, acting_user: User, application: Application) -> Application:
    if application.applicant_id != acting_user.pk:
        raise NotFound(_("No such application."))
    return application_transition(
        acting_user=acting_user, application=application, event=Event.WITHDRAW
    )


def application_correct(*, acting_user: User, application: Application) -> Application:
    """After a refusal, reopen the application as a draft while the window is open."""
    if application.applicant_id != acting_user.pk:
        raise NotFound(_("No such application."))
    _require_window_open(application.intake)
    return application_transition(
        acting_user=acting_user, application=application, event=Event.CORRECT
    )


def application_transition(
    *,
    acting_user: User | None,
    application: Application,
    event: Event,
    reasons: list[dict[str, Any]] | None = None,
    locked: bool = False,
    submitted_hash: str = "",
) -> Application:
    """Move ``application`` along the transition table, recording who did it and why.

    ``locked``: ``application`` is the caller's current row, locked in its transaction (so it
    is not read again). ``submitted_hash``: the signed content's hash, kept with a submission.
    An illegal move is refused before anything is written, so inside a caller's transaction it
    leaves that transaction as it was.
    """
    with joined_transaction():
        if locked:
            row = application
        else:
            # The intake comes along (callers answer with its code), unlocked: see _locking().
            row = (
                Application.objects.select_for_update(of=("self",))
                .select_related("intake")
                .get(pk=application.pk)
            )
        old_state = row.state
        new_state = next_state(old_state, event)
        row.state = new_state
        fields = ["state", "updated_at"]
        now = timezone.now()
        if new_state == State.SUBMITTED:
            row.submitted_at = now
            fields.append("submitted_at")
            if submitted_hash:
                row.submitted_hash = submitted_hash
                fields.append("submitted_hash")
        if new_state in (State.ACCEPTED, State.REFUSED):
            row.decided_at = now
            row.reasons = reasons or []
            fields += ["decided_at", "reasons"]
        if new_state == State.DRAFT:
            # Reopened for correction: a new version, to be signed again.
            row.submitted_hash = ""
            row.version += 1
            fields += ["submitted_hash", "version"]
        row.save(update_fields=fields)
        event_row = audit_record(
            acting_user=acting_user,
            action=f"application.{event.value}",
            target=row,
            old={"state": old_state},
            new={"state": new_state, "reasons": reasons or []},
        )
        application_notify_later(row, event_row.pk)
    return row
