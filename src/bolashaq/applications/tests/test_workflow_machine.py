"""The application workflow as a Hypothesis state machine, through the real actions.

Two applicants and an operator act in random order on one intake: start, answer sections with
valid and invalid values, upload and remove documents, ask for the signing code and submit with
the right or a wrong code (enough wrong ones lock signing), let the automatic check run at once
or later (and twice), withdraw, correct after a refusal, decide a referred case, close and
reopen the window, let the lock-out pass, and try each other's applications. A small model
predicts each answer; after every step the database must agree with it and:

* every application's state is one the transition table can reach, and its history in the
  audit log is a walk along ``TRANSITIONS`` from draft to that state, with exactly one event
  per change of state (and as many as the model saw);
* each applicant has at most one application in the intake that is not withdrawn;
* a submitted application's ``submitted_hash`` is the hash its code was sent for and still the
  hash of its content: answers and documents do not change after submission;
* the audit chain verifies.

Each run starts applicant "a" in one of ``SCENARIOS`` (so every state is explored from), and
the test ends by requiring that the machine took every transition of the table and met every
kind of refusal: a machine that stopped exploring would otherwise pass silently. Each example
runs in a savepoint rolled back at its end, so examples do not see each other.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, TypeVar

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, F
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bolashaq.accounts.actions import user_create
from bolashaq.accounts.models import OneTimeCode, OtpAttempt, User
from bolashaq.accounts.otp import OtpError, OtpLocked
from bolashaq.accounts.roles import Role
from bolashaq.applications import actions
from bolashaq.applications.forms import section_form_for
from bolashaq.applications.models import Application
from bolashaq.applications.review import review_decide, review_refusal_choices
from bolashaq.applications.samples import (
    eligible_answers,
    fill_answers,
    refused_answers,
    sample_pdf,
)
from bolashaq.applications.selectors import (
    application_checklist,
    application_readiness,
    application_rules_result,
)
from bolashaq.applications.states import TRANSITIONS, Event, State
from bolashaq.audit.models import AuditEvent
from bolashaq.audit.selectors import audit_chain_verify
from bolashaq.competitions.actions import intake_create
from bolashaq.competitions.models import Intake, Programme
from bolashaq.core.errors import Conflict, DomainError, IllegalTransition, NotFound
from bolashaq.documents.actions import document_remove, document_upload
from bolashaq.documents.selectors import document_hashes, documents_current
from bolashaq.notifications.models import SmsMessage

# Another applicant (a valid IIN) with a phone of their own.
OTHER_IIN = "061211600012"
OTHER_PHONE = "+77019990001"


def _reachable() -> frozenset[str]:
    found = {State.DRAFT.value}
    while True:
        more = {to.value for (frm, _e), to in TRANSITIONS.items() if frm.value in found}
        if more <= found:
            return frozenset(found)
        found |= more


REACHABLE = _reachable()
TRANSITION_ACTIONS = {f"application.{event.value}" for event in Event}
CHECK_OUTCOMES = {State.ACCEPTED, State.REFUSED, State.IN_REVIEW}
#: every (state, event) the machine took, over all examples: the test ends by requiring all
#: of TRANSITIONS, so a machine that stops exploring (a rule that always fails) is noticed
SEEN: set[tuple[State, Event]] = set()
#: and every refusal it met (error codes), of which it must meet these
REFUSALS: set[str] = set()
MUST_REFUSE = {
    "not_draft",
    "not_ready",
    "changed_since_review",
    "window_closed",
    "otp_wrong_code",
    "otp_locked",
    "illegal_transition",
}


# Applicant "a" applies in the rural category (its diploma requirement can need an operator),
# "b" in the open one.
CATEGORIES = {"a": "rural", "b": "general"}
RURAL = {"residence_months": "30", "work_months": "30"}


def _eligible_answers(today: dt.date) -> dict[str, dict[str, str]]:
    return eligible_answers(today) | {"rural": RURAL}


def _refused_answers(today: dt.date) -> dict[str, dict[str, str]]:
    """An expired foreign-language certificate."""
    return refused_answers(today) | {"rural": RURAL}


def _referred_answers(today: dt.date) -> dict[str, dict[str, str]]:
    """A diploma on a percent scale: in the rural category the rules cannot decide, an
    operator must (the open category does not judge the diploma)."""
    answers = _eligible_answers(today)
    answers["education"] = answers["education"] | {"gpa": "85", "gpa_scale": "100"}
    return answers


def _invalid_answers(today: dt.date) -> dict[str, dict[str, str]]:
    """Answers kept as typed although a form refuses them."""
    answers = _eligible_answers(today)
    answers["rural"] = {"residence_months": "NaN", "work_months": "-3"}
    answers["personal"] = answers["personal"] | {"birth_date": "31.02.1979"}
    answers["education"] = answers["education"] | {"gpa": "four", "graduation_year": "20O1"}
    answers["kaztest"] = answers["kaztest"] | {"score": "-1"}
    answers["foreign_language"] = answers["foreign_language"] | {"score": "99", "date": "soon"}
    answers["invitation"] = answers["invitation"] | {"unconditional": "maybe"}
    return answers


PROFILES = {
    "eligible": _eligible_answers,
    "refused": _refused_answers,
    "referred": _referred_answers,
    "invalid": _invalid_answers,
}


@dataclass
class Expected:
    """What the model believes about one application."""

    pk: int
    owner: str
    state: str = State.DRAFT
    #: the hash and code of the latest sign-request, and the content it was asked for
    #: (the answers' version and the documents' hashes)
    signed_hash: str | None = None
    code: str | None = None
    signed_content: tuple[int, dict[str, str]] | None = None
    #: set by a successful submission; cleared by a correction
    submitted_hash: str = ""
    snapshot: tuple[Any, dict[str, str]] | None = None
    #: every change of state, in order: (old, event, new)
    transitions: list[tuple[str, str, str]] = field(default_factory=list)


T = TypeVar("T")


def attempt(call: Callable[[], T]) -> T | DomainError:
    """The call's result, or the domain error it raised (a refusal is an outcome here)."""
    try:
        return call()
    except DomainError as exc:
        REFUSALS.add(exc.code)
        return exc


@functools.cache
def _pdf(title: str) -> bytes:
    return sample_pdf(title)


def _last_code(phone: str) -> str:
    message = SmsMessage.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    assert message is not None
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found is not None, message.body
    return found.group(1)


class WorkflowMachine(RuleBasedStateMachine):
    # Set by the test: users created once per test, outside the examples' savepoints.
    users: ClassVar[dict[str, User]] = {}
    operator: ClassVar[User | None] = None
    scenario: ClassVar[str] = "incomplete"

    def __init__(self) -> None:
        super().__init__()
        self.block = transaction.atomic()
        self.block.__enter__()
        self.apps: dict[int, Expected] = {}
        #: submissions whose automatic check has not run yet, with the after-commit callbacks
        self.pending: list[tuple[Expected, list[Callable[[], object]]]] = []
        self.failures = dict.fromkeys(self.users, 0)
        self.window_open = True
        self.today = timezone.localdate()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.block.__exit__(None, None, None)

    @initialize()
    def open_intake(self) -> None:
        """The intake, and applicant "a" with an application brought to the run's first state
        (``scenario``) through the same steps as the rules."""
        scenario = self.scenario
        now = timezone.now()
        assert self.operator is not None
        self.intake = intake_create(
            acting_user=self.operator,
            code="master-machine",
            programme=Programme.MASTER,
            titles={"kk": "Магистратура", "ru": "Магистратура", "en": "Master's"},
            rule_set="2023",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
        )
        self.start("a")
        if scenario == "incomplete":
            return
        [expected] = self.apps.values()
        profile = {"in_review": "referred", "refused": "refused"}.get(scenario, "eligible")
        self._fill(expected, profile)
        if scenario == "draft":
            return
        application = Application.objects.select_related("intake").get(pk=expected.pk)
        self._sign(expected, application)
        application.refresh_from_db()
        if scenario == "locked":
            # Enough wrong codes to lock signing: until the lock-out passes, nothing signs.
            for _ in range(django_settings.OTP_MAX_FAILURES):
                self._submit(expected, application, right=False, check_now=True)
            assert self.failures["a"] == django_settings.OTP_MAX_FAILURES
            self._submit(expected, application, right=True, check_now=True)
            assert expected.state == State.DRAFT
            return
        self._submit(expected, application, right=True, check_now=scenario != "submitted")
        assert expected.state == scenario

    # -- helpers --------------------------------------------------------------------------

    def _pick(self, data: st.DataObject) -> tuple[Expected, Application]:
        expected = data.draw(st.sampled_from(sorted(self.apps.values(), key=lambda e: e.pk)))
        return expected, Application.objects.select_related("intake").get(pk=expected.pk)

    def _other(self, who: str) -> str:
        return next(name for name in self.users if name != who)

    def _moved(self, expected: Expected, event: Event, new: str) -> None:
        expected.transitions.append((expected.state, event.value, new))
        SEEN.add((State(expected.state), event))
        expected.state = new

    # -- the applicant ---------------------------------------------------------------------

    @rule(who=st.sampled_from(["a", "b"]))
    def start(self, who: str) -> None:
        active = [e for e in self.apps.values() if e.owner == who and e.state != State.WITHDRAWN]
        outcome = attempt(
            lambda: actions.application_start(
                acting_user=self.users[who], intake=self.intake, category=CATEGORIES[who]
            )
        )
        if isinstance(outcome, DomainError):
            assert isinstance(outcome, actions.WindowClosed), outcome.code
            assert not self.window_open
            return
        assert self.window_open
        if active:
            assert [outcome.pk] == [e.pk for e in active], "start must return the open one"
        else:
            assert outcome.pk not in self.apps
            assert outcome.state == State.DRAFT
            self.apps[outcome.pk] = Expected(pk=outcome.pk, owner=who)

    @precondition(lambda self: self.apps)
    @rule(
        data=st.data(),
        section=st.sampled_from(["personal", "education", "kaztest", "foreign_language", "rural"]),
        profile=st.sampled_from(sorted(PROFILES)),
    )
    def save_section(self, data: st.DataObject, section: str, profile: str) -> None:
        expected, application = self._pick(data)
        values = PROFILES[profile](self.today)[section]
        outcome = attempt(
            lambda: actions.application_save_section(
                acting_user=self.users[expected.owner],
                application=application,
                section=section,
                values=values,
            )
        )
        if isinstance(outcome, DomainError):
            assert outcome.code == "not_draft"
            assert expected.state != State.DRAFT
            return
        assert expected.state == State.DRAFT
        unchanged = application.answers.get(section) == values
        assert outcome.version == application.version + (0 if unchanged else 1)
        assert outcome.answers[section] == values
        # Whatever was typed, the application's pages can still judge it.
        application_readiness(outcome)

    @precondition(lambda self: self.apps)
    @rule(
        data=st.data(),
        profile=st.sampled_from(["eligible", "eligible", "refused", "referred", "invalid"]),
    )
    def fill_everything(self, data: st.DataObject, profile: str) -> None:
        """Answer every section from one profile and upload every missing document."""
        expected, _application = self._pick(data)
        if expected.state == State.DRAFT:
            self._fill(expected, profile)

    def _fill(self, expected: Expected, profile: str) -> None:
        application = Application.objects.select_related("intake").get(pk=expected.pk)
        for section, values in PROFILES[profile](self.today).items():
            if section_form_for(application, section) is None:
                continue  # a section this category does not ask
            application = actions.application_save_section(
                acting_user=self.users[expected.owner],
                application=application,
                section=section,
                values=values,
            )
        current = documents_current(application)
        for item in application_checklist(application):
            if item["id"] not in current:
                self._upload(expected, application, item["id"], "filled")

    def _upload(self, expected: Expected, application: Application, slot: str, title: str) -> Any:
        upload = SimpleUploadedFile(f"{slot}.pdf", _pdf(title), "application/pdf")
        return document_upload(
            acting_user=self.users[expected.owner],
            application=application,
            slot=slot,
            upload=upload,
        )

    @precondition(lambda self: self.apps)
    @rule(data=st.data(), title=st.text(alphabet="abcdefgh ", min_size=1, max_size=12))
    def upload(self, data: st.DataObject, title: str) -> None:
        expected, application = self._pick(data)
        slot = data.draw(st.sampled_from([i["id"] for i in application_checklist(application)]))
        before = document_hashes(application)
        outcome = attempt(lambda: self._upload(expected, application, slot, title))
        if isinstance(outcome, DomainError):
            assert outcome.code == "not_draft"
            assert expected.state != State.DRAFT
            assert document_hashes(application) == before
            return
        assert expected.state == State.DRAFT
        assert document_hashes(application)[slot] == outcome.sha256

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        expected, application = self._pick(data)
        current = documents_current(application)
        if not current:
            return
        slot = data.draw(st.sampled_from(sorted(current)))
        outcome = attempt(
            lambda: document_remove(acting_user=self.users[expected.owner], document=current[slot])
        )
        if isinstance(outcome, DomainError):
            assert outcome.code == "not_draft"
            assert expected.state != State.DRAFT
            assert slot in documents_current(application)
            return
        assert expected.state == State.DRAFT
        assert slot not in documents_current(application)

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def sign_request(self, data: st.DataObject) -> None:
        self._sign(*self._pick(data))

    @precondition(lambda self: self.apps)
    @rule(data=st.data(), wrong=st.integers(0, 6), check_now=st.booleans())
    def submit(self, data: st.DataObject, wrong: int, check_now: bool) -> None:
        """Enter ``wrong`` wrong codes (enough of them lock signing), then the right one."""
        expected, application = self._pick(data)
        for _ in range(wrong):
            self._submit(expected, application, right=False, check_now=check_now)
            application.refresh_from_db()
        self._submit(expected, application, right=True, check_now=check_now)

    @precondition(lambda self: self.apps)
    @rule(
        data=st.data(),
        wrong=st.sampled_from([0, 1, 6]),
        check_now=st.sampled_from([True, True, False]),
    )
    def sign_and_submit(self, data: st.DataObject, wrong: int, check_now: bool) -> None:
        """What an applicant does on the review page: ask for the code, mistype it ``wrong``
        times (six lock signing), then enter it."""
        expected, application = self._pick(data)
        self._sign(expected, application)
        application.refresh_from_db()
        for _ in range(wrong):
            self._submit(expected, application, right=False, check_now=check_now)
        self._submit(expected, application, right=True, check_now=check_now)

    @precondition(lambda self: self.apps)
    @rule(
        data=st.data(),
        profile=st.sampled_from(["referred", "refused", "eligible"]),
        check_now=st.booleans(),
    )
    def apply(self, data: st.DataObject, profile: str, check_now: bool) -> None:
        """The whole path of a draft in one step: answer, upload, sign and submit."""
        expected, _application = self._pick(data)
        if expected.state != State.DRAFT:
            return
        self._fill(expected, profile)
        application = Application.objects.select_related("intake").get(pk=expected.pk)
        self._sign(expected, application)
        application.refresh_from_db()
        self._submit(expected, application, right=True, check_now=check_now)

    def _sign(self, expected: Expected, application: Application) -> None:
        user = self.users[expected.owner]
        # The resend pause and the hourly cap are for people; here time "passes" instead.
        OneTimeCode.objects.filter(user=user).update(
            created_at=F("created_at") - timedelta(hours=2)
        )
        ready = application_readiness(application).ready
        locked = self.failures[expected.owner] >= django_settings.OTP_MAX_FAILURES
        outcome = attempt(
            lambda: actions.application_sign_request(acting_user=user, application=application)
        )
        if expected.state != State.DRAFT:
            assert isinstance(outcome, Conflict)
            assert outcome.code == "not_draft"
        elif not ready:
            assert isinstance(outcome, Conflict)
            assert outcome.code == "not_ready"
        elif locked:
            assert isinstance(outcome, OtpLocked)
        else:
            assert isinstance(outcome, str), outcome
            assert outcome == actions.application_content_hash(application)
            expected.signed_hash = outcome
            expected.code = _last_code(user.phone)
            expected.signed_content = (application.version, document_hashes(application))

    def _submit(
        self, expected: Expected, application: Application, *, right: bool, check_now: bool
    ) -> None:
        """Submit; the automatic check runs after the commit, or later (``worker_runs``)."""
        user = self.users[expected.owner]
        content_hash = expected.signed_hash or "0" * 64
        code = expected.code if right and expected.code else "000000"
        if code == expected.code and not right:
            code = "111111"
        right = code == expected.code
        changed = expected.signed_content != (application.version, document_hashes(application))
        locked = self.failures[expected.owner] >= django_settings.OTP_MAX_FAILURES
        events_before = self._transition_events(expected.pk)
        after_commit: list[Callable[[], object]] = []

        def call() -> Application:
            # The check is enqueued after the commit; run it as a real commit would.
            with TestCase.captureOnCommitCallbacks(execute=check_now) as callbacks:
                submitted = actions.application_submit(
                    acting_user=user, application=application, content_hash=content_hash, code=code
                )
            after_commit.extend(callbacks)
            return submitted

        outcome = attempt(call)
        if expected.state != State.DRAFT:
            if expected.submitted_hash == content_hash:
                # A retry of the submission that succeeded: the same one, nothing new.
                assert isinstance(outcome, Application), outcome
                assert outcome.submitted_hash == content_hash
                assert self._transition_events(expected.pk) == events_before
            else:
                assert isinstance(outcome, IllegalTransition), outcome
            return
        if changed:
            assert isinstance(outcome, Conflict), outcome
            assert outcome.code == "changed_since_review"
            return
        if not self.window_open:
            assert isinstance(outcome, actions.WindowClosed), outcome
            return
        if locked or not right:
            assert isinstance(outcome, OtpLocked if locked else OtpError), outcome
            if not locked:
                self.failures[expected.owner] += 1
            return
        assert isinstance(outcome, Application), f"the right code was refused: {outcome}"
        self.failures[expected.owner] = 0
        application.refresh_from_db()
        assert application.submitted_hash == content_hash
        self._moved(expected, Event.SUBMIT, State.SUBMITTED)
        expected.submitted_hash = content_hash
        expected.snapshot = (application.answers, document_hashes(application))
        if check_now:
            self._checked(expected, application)
        else:
            assert application.state == State.SUBMITTED
            self.pending.append((expected, after_commit))

    def _checked(self, expected: Expected, application: Application) -> None:
        """The automatic check ran: accepted, refused or referred to an operator."""
        assert application.state in CHECK_OUTCOMES, application.state
        event = {
            State.ACCEPTED: Event.ACCEPT,
            State.REFUSED: Event.REFUSE,
            State.IN_REVIEW: Event.REFER,
        }[State(application.state)]
        self._moved(expected, event, application.state)

    @precondition(lambda self: self.pending)
    @rule(twice=st.booleans())
    def worker_runs(self, twice: bool) -> None:
        """The background worker delivers the checks left after the commit, maybe twice: a
        check acts only on an application still submitted with the hash it was given."""
        pending, self.pending = self.pending, []
        for expected, callbacks in pending:
            waiting = expected.state == State.SUBMITTED
            with TestCase.captureOnCommitCallbacks(execute=True):
                for callback in callbacks * (2 if twice else 1):
                    callback()
            application = Application.objects.get(pk=expected.pk)
            if waiting:
                self._checked(expected, application)
            else:
                assert application.state == expected.state

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        expected, application = self._pick(data)
        outcome = attempt(
            lambda: actions.application_withdraw(
                acting_user=self.users[expected.owner], application=application
            )
        )
        if expected.state == State.WITHDRAWN:
            assert isinstance(outcome, IllegalTransition), outcome
            return
        assert isinstance(outcome, Application), outcome
        self._moved(expected, Event.WITHDRAW, State.WITHDRAWN)

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def correct(self, data: st.DataObject) -> None:
        expected, application = self._pick(data)
        outcome = attempt(
            lambda: actions.application_correct(
                acting_user=self.users[expected.owner], application=application
            )
        )
        if not self.window_open:
            assert isinstance(outcome, actions.WindowClosed), outcome
            return
        if expected.state != State.REFUSED:
            assert isinstance(outcome, IllegalTransition), outcome
            return
        assert isinstance(outcome, Application), outcome
        assert outcome.version == application.version + 1
        assert outcome.submitted_hash == ""
        self._moved(expected, Event.CORRECT, State.DRAFT)
        expected.submitted_hash = ""
        expected.snapshot = None

    @precondition(lambda self: self.apps)
    @rule(
        data=st.data(),
        action=st.sampled_from(["save", "withdraw", "upload", "submit", "correct"]),
    )
    def intrude(self, data: st.DataObject, action: str) -> None:
        """The other applicant acts on this application: "not found", and nothing changes."""
        expected, application = self._pick(data)
        intruder = self.users[self._other(expected.owner)]
        before = (application.state, application.version, document_hashes(application))
        calls: dict[str, Callable[[], object]] = {
            "save": lambda: actions.application_save_section(
                acting_user=intruder,
                application=application,
                section="education",
                values={"gpa": "4"},
            ),
            "withdraw": lambda: actions.application_withdraw(
                acting_user=intruder, application=application
            ),
            "upload": lambda: document_upload(
                acting_user=intruder,
                application=application,
                slot="diploma",
                upload=SimpleUploadedFile("x.pdf", sample_pdf("x"), "application/pdf"),
            ),
            "submit": lambda: actions.application_submit(
                acting_user=intruder,
                application=application,
                content_hash=expected.signed_hash or "0" * 64,
                code=expected.code or "000000",
            ),
            "correct": lambda: actions.application_correct(
                acting_user=intruder, application=application
            ),
        }
        with pytest.raises(NotFound):
            calls[action]()
        application.refresh_from_db()
        assert (application.state, application.version, document_hashes(application)) == before

    # -- the operator and the clock ----------------------------------------------------------

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def operator_accepts(self, data: st.DataObject) -> None:
        self._decide(data, accept=True, cite=False)

    @precondition(lambda self: self.apps)
    @rule(data=st.data(), cite=st.booleans())
    def operator_refuses(self, data: st.DataObject, cite: bool) -> None:
        self._decide(data, accept=False, cite=cite)

    def _decide(self, data: st.DataObject, *, accept: bool, cite: bool) -> None:
        """The operator decides a case in review (mostly; any other is "too late")."""
        waiting = [e for e in self.apps.values() if e.state == State.IN_REVIEW]
        in_review: bool = data.draw(st.booleans()) if waiting else False
        if in_review:
            expected = data.draw(st.sampled_from(waiting))
            application = Application.objects.select_related("intake").get(pk=expected.pk)
        else:
            expected, application = self._pick(data)
        operator = self.operator
        assert operator is not None
        reasons: list[dict[str, Any]] = []
        comment = ""
        if not accept:
            choices = review_refusal_choices(application) if cite else []
            reasons = [{"requirement": c["requirement"]} for c in choices[:1]]
            comment = "" if reasons else "The documents do not show the degree."
        outcome = attempt(
            lambda: review_decide(
                acting_user=operator,
                application=application,
                accept=accept,
                reasons=reasons,
                comment=comment,
            )
        )
        if expected.state != State.IN_REVIEW:
            assert isinstance(outcome, IllegalTransition), outcome
            return
        new = State.ACCEPTED if accept else State.REFUSED
        assert isinstance(outcome, Application), outcome
        assert outcome.state == new
        self._moved(expected, Event.ACCEPT if accept else Event.REFUSE, new)

    @rule(open_=st.sampled_from([True, True, False]))
    def set_window(self, open_: bool) -> None:
        now = timezone.now()
        closes = now + timedelta(days=30) if open_ else now - timedelta(seconds=1)
        Intake.objects.filter(pk=self.intake.pk).update(closes_at=closes)
        self.intake.refresh_from_db()
        self.window_open = open_

    @rule()
    def lockout_passes(self) -> None:
        OtpAttempt.objects.filter(user__in=list(self.users.values())).update(
            at=F("at") - timedelta(seconds=django_settings.OTP_LOCKOUT_SECONDS + 1)
        )
        self.failures = dict.fromkeys(self.users, 0)

    # -- invariants --------------------------------------------------------------------------

    def _transition_events(self, pk: int) -> list[tuple[str, str, str]]:
        rows = AuditEvent.objects.filter(
            object_type="applications.application",
            object_id=str(pk),
            action__in=TRANSITION_ACTIONS,
        ).order_by("seq")
        return [
            ((r.old or {})["state"], r.action.split(".", 1)[1], (r.new or {})["state"])
            for r in rows
        ]

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        states = dict(Application.objects.values_list("pk", "state"))
        assert set(states) == set(self.apps)
        for pk, expected in self.apps.items():
            assert states[pk] == expected.state, (pk, states[pk], expected)
            assert states[pk] in REACHABLE

    @invariant()
    def history_walks_the_transition_table(self) -> None:
        histories: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in self.apps}
        rows = AuditEvent.objects.filter(
            object_type="applications.application", action__in=TRANSITION_ACTIONS
        ).order_by("seq")
        for row in rows:
            histories[int(row.object_id)].append(
                ((row.old or {})["state"], row.action.split(".", 1)[1], (row.new or {})["state"])
            )
        for pk, expected in self.apps.items():
            history = histories[pk]
            # Exactly one event per change of state, none missing, none doubled.
            assert history == expected.transitions, (pk, history, expected.transitions)
            state = State.DRAFT.value
            for old, event, new in history:
                assert old == state
                assert TRANSITIONS[(State(old), Event(event))] == new
                state = new
            assert state == expected.state

    @invariant()
    def one_open_application_per_applicant_and_intake(self) -> None:
        doubled = (
            Application.objects.exclude(state=State.WITHDRAWN)
            .values("applicant", "intake")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not doubled.exists()

    @invariant()
    def a_submission_is_what_was_signed(self) -> None:
        for application in Application.objects.select_related("intake").exclude(submitted_hash=""):
            expected = self.apps[application.pk]
            assert application.submitted_hash == expected.submitted_hash
            assert actions.application_content_hash(application) == application.submitted_hash
            assert expected.snapshot == (application.answers, document_hashes(application))
        signed = set(Application.objects.exclude(submitted_hash="").values_list("pk", flat=True))
        assert signed == {e.pk for e in self.apps.values() if e.submitted_hash}

    @invariant()
    def the_audit_chain_verifies(self) -> None:
        report = audit_chain_verify()
        assert report.ok, report.problem


@pytest.fixture
def machine_users(cast, settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media-not-served/"},
        },
    }
    other = user_create(
        acting_user=None,
        username=OTHER_IIN,
        password=None,
        role=Role.APPLICANT,
        first_name="Dana",
        last_name="Other",
        iin=OTHER_IIN,
        phone=OTHER_PHONE,
        language="en",
    )
    WorkflowMachine.users = {"a": cast[Role.APPLICANT], "b": other}
    WorkflowMachine.operator = cast[Role.OPERATOR]


# Where applicant "a"'s application starts; each start gets its share of the examples, so
# every state is explored from, whatever Hypothesis draws.
SCENARIOS = ("incomplete", "draft", "locked", "submitted", "accepted", "refused", "in_review")
EXAMPLES_PER_SCENARIO = 10


def test_the_workflow_keeps_its_invariants(machine_users) -> None:
    SEEN.clear()
    REFUSALS.clear()
    for scenario in SCENARIOS:
        WorkflowMachine.scenario = scenario
        run_state_machine_as_test(
            WorkflowMachine,
            settings=settings(
                max_examples=EXAMPLES_PER_SCENARIO,
                stateful_step_count=15,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            ),
        )
    # Deterministic (derandomized): if a change makes these fail, a rule no longer gets where
    # it should, or the examples are too few to get there.
    assert set(TRANSITIONS) - SEEN == set(), "transitions the machine never took"
    assert set() == MUST_REFUSE - REFUSALS, "refusals the machine never met"


def test_an_answer_the_rules_cannot_read_counts_as_unanswered(cast) -> None:
    # Found by the machine: a KAZTEST score typed as -1 is kept as typed, and the rules engine
    # refused the whole profile, so every page of the application answered 500.
    applicant = cast[Role.APPLICANT]
    now = timezone.now()
    intake = intake_create(
        acting_user=cast[Role.OPERATOR],
        code="master-typed",
        programme=Programme.MASTER,
        titles={"kk": "М", "ru": "М", "en": "M"},
        rule_set="2023",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    application = actions.application_start(
        acting_user=applicant, intake=intake, category="general"
    )
    answers = eligible_answers(timezone.localdate())
    answers["kaztest"] = answers["kaztest"] | {"score": "-1"}
    fill_answers(applicant=applicant, application=application, answers=answers)
    application.refresh_from_db()
    statuses = {r.id: r.status for r in application_rules_result(application).requirements}
    assert statuses["kaztest"] == "unknown"
    assert statuses["foreign_language"] == "met"
    page = cast.client(Role.APPLICANT).get(f"/portal/applications/{application.pk}/")
    assert page.status_code == 200
