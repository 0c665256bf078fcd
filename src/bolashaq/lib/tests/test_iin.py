from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bolashaq.lib.iin import (
    IinCheck,
    birth_date_warning,
    check_digit,
    is_valid_bin,
    make_iin,
    validate_iin,
)

sexes = st.sampled_from(["male", "female"])
birth_dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31))
serials = st.integers(min_value=0, max_value=9000)


def _first_pass(value: str) -> int:
    return sum(w * int(c) for w, c in zip(range(1, 12), value[:11], strict=True)) % 11


def test_documented_examples_are_valid() -> None:
    assert validate_iin("791028302728") == IinCheck(True, None, date(1979, 10, 28), "male")
    assert validate_iin("061211600012") == IinCheck(True, None, date(2006, 12, 11), "female")


def test_surrounding_whitespace_is_ignored() -> None:
    assert validate_iin(" 791028302728\n").valid


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("", "length"),
        ("79102830272", "length"),
        ("7910283027288", "length"),
        ("79102830272a", "digits"),
        ("7910 8302728", "digits"),
        ("٧٩١٠٢٨٣٠٢٧٢٨", "digits"),  # Arabic-Indic digits pass str.isdigit(), not us
        ("791028702728", "century"),
        ("791028002728", "century"),
        ("791028302729", "checksum"),
    ],
)
def test_errors(value: str, error: str) -> None:
    result = validate_iin(value)
    assert not result.valid
    assert result.error == error


def test_second_weighting_is_used_when_first_gives_ten() -> None:
    # Find a prefix whose first pass is 10 and check the number the second pass gives.
    prefix = next(
        p for p in (f"8501153{n:04d}" for n in range(10000)) if _first_pass(p + "0") == 10
    )
    second = (
        sum(w * int(c) for w, c in zip((3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), prefix, strict=True))
        % 11
    )
    if second == 10:
        assert check_digit(prefix) is None
    else:
        assert validate_iin(prefix + str(second)).valid
        assert not validate_iin(prefix + str(_first_pass(prefix + "0") % 10)).valid


def test_unissuable_prefix_has_no_check_digit_and_make_iin_skips_it() -> None:
    born = date(1990, 1, 1)
    bad = [n for n in range(10000) if check_digit(f"9001013{n:04d}") is None]
    assert bad, "expected at least one serial whose check would be 10 twice"
    made = make_iin(born, "male", bad[0])
    assert validate_iin(made).valid
    assert int(made[7:11]) > bad[0]


def test_valid_iin_with_a_non_date_is_still_valid() -> None:
    first = "0013313" + "0001"  # YYMMDD = 00-13-31: month 13 is not a date
    digit = check_digit(first)
    assert digit is not None
    result = validate_iin(first + str(digit))
    assert result.valid
    assert result.birth_date is None
    assert result.sex == "male"


def test_birth_date_warning() -> None:
    assert not birth_date_warning("791028302728", date(1979, 10, 28))
    assert birth_date_warning("791028302728", date(1979, 10, 29))
    assert not birth_date_warning("791028302729", date(1990, 1, 1))  # invalid: no warning


def test_bin() -> None:
    # 12 digits, 5th digit 4-6, same check digit as an IIN.
    first = "9401400" + "1234"
    digit = check_digit(first)
    if digit is None:
        first = "9401400" + "1235"
        digit = check_digit(first)
    assert digit is not None
    assert is_valid_bin(first + str(digit))
    assert not is_valid_bin(first + str((digit + 1) % 10))
    assert not is_valid_bin("791028302728")  # an IIN: 5th digit is 2
    assert not is_valid_bin("94014001234")
    assert not is_valid_bin("94014001234x")


def test_make_iin_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        make_iin(date(1799, 12, 31), "male", 1)
    with pytest.raises(ValueError):
        make_iin(date(1990, 1, 1), "male", 10000)
    with pytest.raises(ValueError):
        make_iin(date(1990, 1, 1), "other", 1)  # type: ignore[arg-type]


@given(birth_dates, sexes, serials)
def test_every_made_iin_validates(born: date, sex: str, serial: int) -> None:
    iin = make_iin(born, sex, serial)  # type: ignore[arg-type]
    result = validate_iin(iin)
    assert result.valid
    assert result.birth_date == born
    assert result.sex == sex
    assert not birth_date_warning(iin, born)


@given(birth_dates, sexes, serials, st.integers(0, 11), st.integers(1, 9))
def test_changing_one_digit(born: date, sex: str, serial: int, pos: int, delta: int) -> None:
    """What the check digit guarantees for a single changed digit, and what it does not.

    * the check digit itself (12th): always detected;
    * digits 1-10 (weights 1-10, all non-zero mod 11): the first-pass sum changes, so the
      change is always detected when neither number needs the second weighting (when one
      does, the second weighting may happen to agree);
    * digit 11 has weight 11 = 0 (mod 11) in the first pass: when the original first pass
      was not 10, a change there is NOT detected. This is a property of the national
      algorithm, so the form must not rely on the check digit alone (ask twice, compare
      with the e-government record).
    """
    iin = make_iin(born, sex, serial)  # type: ignore[arg-type]
    new_digit = (int(iin[pos]) + delta) % 10
    mutated = iin[:pos] + str(new_digit) + iin[pos + 1 :]
    result = validate_iin(mutated)
    if pos == 11:
        assert not result.valid
    elif pos < 10:
        if _first_pass(iin) != 10 and _first_pass(mutated) != 10:
            assert not result.valid
    elif _first_pass(iin) != 10 and _first_pass(mutated) != 10:
        assert _first_pass(mutated) == _first_pass(iin)
        assert result.valid
