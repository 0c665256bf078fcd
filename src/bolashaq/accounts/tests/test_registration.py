"""Applicant registration: field checks, the IIN birth-date warning, one account per IIN,
the recorded consent, and confirming the phone before the first session."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bolashaq.accounts.actions import applicant_register
from bolashaq.accounts.consent import CONSENT_TEXTS, CURRENT_CONSENT
from bolashaq.accounts.forms import RegistrationForm
from bolashaq.accounts.models import Consent, OtpPurpose, User
from bolashaq.accounts.roles import Role
from bolashaq.accounts.tests.helpers import last_code
from bolashaq.audit.models import AuditEvent
from bolashaq.core.errors import Conflict
from bolashaq.lib.iin import make_iin
from bolashaq.notifications.models import SmsMessage

BORN = date(1998, 4, 17)
IIN = make_iin(BORN, "female", 1234)
PASSWORD = "saryarqa-steppe-2026"


def details(**changes: Any) -> dict[str, Any]:
    data = {
        "iin": IIN,
        "last_name": "Серікова",
        "first_name": "Айгерім",
        "patronymic": "",
        "birth_date": BORN.isoformat(),
        "phone": "8 (701) 234-56-78",
        "email": "aigerim@example.kz",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "language": "ru",
        "consent_version": CURRENT_CONSENT.version,
        "consent": "on",
    }
    data.update(changes)
    return data


def form_errors(**changes: Any) -> dict[str, list[str]]:
    form = RegistrationForm(data=details(**changes))
    form.is_valid()
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_valid_details_pass_and_the_phone_is_normalised() -> None:
    form = RegistrationForm(data=details(iin=f" {IIN} "))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+77012345678"
    assert form.cleaned_data["iin"] == IIN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("iin", "message"),
    [
        (IIN[:11], "exactly 12 digits"),
        (IIN + "0", "exactly 12 digits"),
        ("98041760123A", "digits only"),
        ("９８０４１７６０１２３４", "digits only"),  # full-width digits are not ASCII digits
        (IIN[:6] + "7" + IIN[7:], "7th digit"),
        (IIN[:11] + str((int(IIN[11]) + 1) % 10), "check digit"),
    ],
)
def test_bad_iins_are_refused_with_a_reason(iin: str, message: str) -> None:
    errors = form_errors(iin=iin)
    assert message in " ".join(errors["iin"])


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["7012345678", "+7 701 234 56", "+44 20 7946 0000", "phone"])
def test_bad_phones_are_refused(phone: str) -> None:
    assert "+7 and 10 digits" in " ".join(form_errors(phone=phone)["phone"])


@pytest.mark.django_db
def test_passwords_must_match_and_pass_the_validators() -> None:
    assert "do not match" in " ".join(form_errors(password2="something-else-2026")["password2"])
    assert form_errors(password1="short", password2="short")["password1"]
    assert form_errors(password1="1234567890123", password2="1234567890123")["password1"]
    # Too similar to the IIN (the username).
    assert form_errors(password1=IIN, password2=IIN)["password1"]


@pytest.mark.django_db
def test_consent_is_required_and_must_be_the_current_version() -> None:
    assert "agree to the processing" in " ".join(form_errors(consent="")["consent"])
    stale = form_errors(consent_version="2019-01")
    assert "has changed" in " ".join(stale["consent"])


@pytest.mark.django_db
def test_a_future_birth_date_is_refused() -> None:
    assert form_errors(birth_date="2999-01-01")["birth_date"]


def test_an_iin_registered_already_gets_a_clear_message(cast) -> None:
    taken = cast[Role.APPLICANT].iin
    errors = form_errors(iin=taken)
    assert errors["iin"] == [
        "An account with this IIN is already registered. Sign in with it, or contact the Center "
        "for International Programs if you did not register it."
    ]


def _register(**changes: Any):
    return applicant_register(
        acting_user=None,
        iin=changes.get("iin", IIN),
        last_name="Серікова",
        first_name="Айгерім",
        patronymic="Қанатқызы",
        birth_date=changes.get("birth_date", BORN),
        phone="+77012345678",
        email="aigerim@example.kz",
        password=PASSWORD,
        language="kk",
        consent=CURRENT_CONSENT,
        address="10.0.0.7",
    )


@pytest.mark.django_db
def test_registration_records_the_consent_version_text_and_time() -> None:
    registration = _register()
    user = registration.user
    assert user.username == IIN
    assert user.iin == IIN
    assert user.role == Role.APPLICANT
    assert user.patronymic == "Қанатқызы"
    assert user.phone_confirmed_at is None
    consent = Consent.objects.get(user=user)
    assert consent.version == CURRENT_CONSENT.version
    assert consent.version in CONSENT_TEXTS
    assert consent.language == "kk"
    assert consent.text_sha256 == CURRENT_CONSENT.sha256("kk")
    assert consent.text_sha256 != CURRENT_CONSENT.sha256("ru")
    assert consent.address == "10.0.0.7"
    assert consent.accepted_at is not None
    event = AuditEvent.objects.get(action="consent.accept")
    assert event.new is not None
    assert event.new["version"] == CURRENT_CONSENT.version
    assert "10.0.0.7" not in str(event.new)


@pytest.mark.django_db
def test_one_account_per_iin_in_the_action_too() -> None:
    _register()
    with pytest.raises(Conflict) as refused:
        _register()
    assert refused.value.code == "iin_taken"
    assert User.objects.filter(iin=IIN).count() == 1


@pytest.mark.django_db
def test_a_birth_date_other_than_the_iins_is_only_a_warning() -> None:
    assert not _register().birth_date_differs
    other = make_iin(BORN, "male", 4321)
    registration = _register(iin=other, birth_date=date(1998, 5, 17))
    assert registration.birth_date_differs
    assert registration.user.birth_date == date(1998, 5, 17)


@pytest.mark.django_db
def test_the_consent_text_is_shown_in_the_page_language() -> None:
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("accounts:register"))
    assert english.status_code == 200
    page = english.content.decode()
    assert CURRENT_CONSENT.title("en") in page
    assert "No. 94-V" in page
    assert f'value="{CURRENT_CONSENT.version}"' in page
    kazakh = Client().get(reverse("accounts:register")).content.decode()
    assert CURRENT_CONSENT.title("kk") in kazakh
    assert "иесіздендірілген" in kazakh


@pytest.mark.django_db
def test_register_confirm_and_land_on_the_portal() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("accounts:register"), details())
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("accounts:register_confirm")
    user = User.objects.get(iin=IIN)
    assert user.phone == "+77012345678"
    assert "_auth_user_id" not in client.session
    # The code SMS is in the language the applicant chose (Russian here).
    sms = SmsMessage.objects.get()
    assert "подтверждения этого номера" in sms.body
    page = client.get(reverse("accounts:register_confirm")).content.decode()
    assert "Confirm your phone number" in page
    assert "+7701*****78" in page

    code = last_code(user.phone)
    confirmed = client.post(reverse("accounts:register_confirm"), {"code": code})
    assert confirmed["Location"] == reverse("portal:home")
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.phone_confirmed_at is not None
    portal = client.get(reverse("portal:home"))
    assert portal.status_code == 200
    assert AuditEvent.objects.filter(action="user.confirm_phone", actor=user).count() == 1
    assert AuditEvent.objects.filter(action="auth.sign_in", actor=user).count() == 1


@pytest.mark.django_db
def test_the_birth_date_warning_is_shown_and_registration_goes_on() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        reverse("accounts:register"), details(birth_date="1998-05-17"), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:register_confirm")
    assert "differs from the one in your IIN" in response.content.decode()
    assert User.objects.filter(iin=IIN).exists()


@pytest.mark.django_db
def test_a_sign_in_code_cannot_confirm_the_phone() -> None:
    from bolashaq.accounts.otp import otp_send

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("accounts:register"), details())
    user = User.objects.get(iin=IIN)
    SmsMessage.objects.all().delete()
    otp_send(user=user, purpose=OtpPurpose.SIGN_IN)
    response = client.post(reverse("accounts:register_confirm"), {"code": last_code(user.phone)})
    assert response.status_code == 400
    assert "sent for something else" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_duplicate_iin_message_is_shown_on_the_page() -> None:
    _register()
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("accounts:register"), details())
    assert response.status_code == 400
    assert "already registered" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_confirm_page_needs_a_registration_first() -> None:
    response = Client().get(reverse("accounts:register_confirm"))
    assert response["Location"] == reverse("accounts:sign_in")


@pytest.mark.django_db
def test_an_unconfirmed_applicant_confirms_the_phone_by_signing_in() -> None:
    user = _register().user
    client = Client()
    client.post(reverse("accounts:sign_in"), {"username": IIN, "password": PASSWORD})
    response = client.post(reverse("accounts:sign_in_code"), {"code": last_code(user.phone)})
    assert response["Location"] == reverse("portal:home")
    user.refresh_from_db()
    assert user.phone_confirmed_at is not None
