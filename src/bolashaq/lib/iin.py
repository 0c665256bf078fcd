"""Kazakhstan IIN (individual identification number) and BIN (business identification number).

An IIN is 12 digits ``YYMMDD G NNNN C``:

* ``YYMMDD`` - the birth date as assigned (since 2013 it need not match the real birth date);
* ``G`` - century and sex: 1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s; odd = male, even = female;
* ``NNNN`` - serial number;
* ``C`` - check digit: the sum of the first 11 digits weighted 1..11, mod 11; if that is 10, the
  sum weighted 3, 4, ..., 11, 1, 2, mod 11; if that is 10 again the number cannot be issued.

A BIN uses the same check digit; its 5th digit (type of organisation) is 4, 5 or 6.

The birth date encoded in an IIN is informational: a disagreement with the date the applicant
declares is a *warning* (:func:`birth_date_warning`), never a reason to reject the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "IinCheck",
    "Sex",
    "birth_date_warning",
    "check_digit",
    "is_valid_bin",
    "make_iin",
    "validate_iin",
]

Sex = Literal["male", "female"]

_WEIGHTS_1 = tuple(range(1, 12))  # 1..11
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


@dataclass(frozen=True, slots=True)
class IinCheck:
    """Result of :func:`validate_iin`.

    ``error`` is a machine code, ``None`` when valid:

    * ``"length"`` - not exactly 12 characters after trimming surrounding whitespace;
    * ``"digits"`` - a character other than an ASCII digit;
    * ``"century"`` - the 7th digit is not 1-6;
    * ``"checksum"`` - the check digit does not match (or the number cannot be issued).

    ``birth_date`` is the date encoded in the number when it is a real calendar date, else
    ``None`` (a valid IIN whose ``YYMMDD`` is not a real date is still valid: since 2013 the
    digits are only an identifier). ``sex`` comes from the 7th digit whenever that is 1-6.
    """

    valid: bool
    error: str | None
    birth_date: date | None
    sex: Sex | None


def check_digit(first_eleven: str) -> int | None:
    """The check digit for 11 leading digits, or ``None`` if no valid number has them."""
    if len(first_eleven) != 11 or not _is_ascii_digits(first_eleven):
        raise ValueError("check_digit needs exactly 11 ASCII digits")
    digits = [int(c) for c in first_eleven]
    value = sum(w * d for w, d in zip(_WEIGHTS_1, digits, strict=True)) % 11
    if value == 10:
        value = sum(w * d for w, d in zip(_WEIGHTS_2, digits, strict=True)) % 11
        if value == 10:
            return None
    return value


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit() accepts e.g. Arabic-Indic and superscript digits; we want 0-9 only.
    return all("0" <= c <= "9" for c in value)


def _checksum_ok(value: str) -> bool:
    expected = check_digit(value[:11])
    return expected is not None and expected == int(value[11])


def _normalise(value: str) -> str:
    return value.strip()


def validate_iin(value: str) -> IinCheck:
    """Check an IIN's form, century digit and check digit.

    Surrounding whitespace is ignored; anything else that is not one of 12 ASCII digits is an
    error. The birth date is never a reason for rejection.
    """
    value = _normalise(value)
    if len(value) != 12:
        return IinCheck(False, "length", None, None)
    if not _is_ascii_digits(value):
        return IinCheck(False, "digits", None, None)
    g = int(value[6])
    if g not in _CENTURY:
        return IinCheck(False, "century", None, None)
    sex: Sex = "male" if g % 2 == 1 else "female"
    born = _encoded_date(value, _CENTURY[g])
    if not _checksum_ok(value):
        return IinCheck(False, "checksum", born, sex)
    return IinCheck(True, None, born, sex)


def _encoded_date(value: str, century: int) -> date | None:
    try:
        return date(century + int(value[0:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        return None


def birth_date_warning(iin: str, birth_date: date) -> bool:
    """True when a *valid* IIN encodes a birth date other than ``birth_date``.

    Show it to an operator as a warning; since 2013 IINs need not match the birth date, so this
    must never block anything. Returns False for an invalid IIN (that is reported elsewhere) and
    for an IIN whose digits are not a calendar date at all (nothing to compare).
    """
    check = validate_iin(iin)
    if not check.valid or check.birth_date is None:
        return False
    return check.birth_date != birth_date


def is_valid_bin(value: str) -> bool:
    """True for a well-formed BIN: 12 ASCII digits, 5th digit 4, 5 or 6, correct check digit."""
    value = _normalise(value)
    if len(value) != 12 or not _is_ascii_digits(value):
        return False
    if value[4] not in "456":
        return False
    return _checksum_ok(value)


def make_iin(birth_date: date, sex: Sex, serial: int) -> str:
    """Build a valid IIN for test and demo data.

    ``serial`` (0-9999) is the starting serial number; if its check digit would be 10 (no valid
    number) the next serial is tried, and so on. Raises ``ValueError`` for a birth year outside
    1800-2099, an unknown sex, a serial outside 0-9999, or when no serial from ``serial`` up to
    9999 gives a valid number.
    """
    if not 1800 <= birth_date.year <= 2099:
        raise ValueError(f"birth year {birth_date.year} cannot be encoded in an IIN")
    if sex not in ("male", "female"):
        raise ValueError(f"unknown sex {sex!r}")
    if not 0 <= serial <= 9999:
        raise ValueError(f"serial {serial} is outside 0-9999")
    century_index = (birth_date.year - 1800) // 100  # 0, 1, 2
    g = 1 + 2 * century_index + (0 if sex == "male" else 1)
    prefix = f"{birth_date.year % 100:02d}{birth_date.month:02d}{birth_date.day:02d}{g}"
    for candidate in range(serial, 10000):
        first = f"{prefix}{candidate:04d}"
        digit = check_digit(first)
        if digit is not None:
            return f"{first}{digit}"
    raise ValueError(f"no valid IIN with a serial from {serial} to 9999")
