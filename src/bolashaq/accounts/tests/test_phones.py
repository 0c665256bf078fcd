from __future__ import annotations

import pytest

from bolashaq.accounts.phones import mask_phone, normalise_phone


@pytest.mark.parametrize(
    "typed",
    [
        "+77012345678",
        "+7 701 234 56 78",
        "+7 (701) 234-56-78",
        "87012345678",
        "8 701 234 56 78",
        "8-701-234-56-78",
        "77012345678",
        " 8 (701) 234.56.78 ",
        "+7\u00a0701\u00a0234\u00a05678",
    ],
)
def test_common_ways_of_writing_a_number_normalise_to_plus_seven(typed: str) -> None:
    assert normalise_phone(typed) == "+77012345678"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "7012345678",  # no country prefix
        "+7701234567",  # 9 digits
        "+770123456789",  # 11 digits
        "+87012345678",
        "+17012345678",
        "97012345678",
        "8701234567a",
        "+7 701 234 56 7８",  # a full-width digit
        "+7701/2345678",
    ],
)
def test_other_input_is_refused(typed: str) -> None:
    assert normalise_phone(typed) is None


def test_masking_keeps_the_operator_code_and_the_last_two_digits() -> None:
    assert mask_phone("+77012345678") == "+7701*****78"
