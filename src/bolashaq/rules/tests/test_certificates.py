"""Certificate validity: 2 years from the test date (IELTS, TOEFL, DET) or from issue (KAZTEST).

The last valid day is the anniversary itself; the certificate has expired the day after.
"""

from __future__ import annotations

import pytest

from bolashaq.rules import evaluate

from .profiles import internship_2026, master_general, master_rural, statuses


@pytest.mark.parametrize(
    "test", ["ielts", "toefl_ibt", "toefl_pbt", "toefl_itp", "det", "ielts_indicator"]
)
def test_language_certificate_valid_on_last_day_expired_day_after(test: str) -> None:
    score = {
        "ielts": 5.0,
        "toefl_ibt": 35,
        "toefl_pbt": 417,
        "toefl_itp": 417,
        "det": 80,
        "ielts_indicator": 5.0,
    }[test]
    cert = [{"test": test, "score": score, "date": "2021-04-10"}]
    last = evaluate(master_rural(date="2023-04-10", foreign_language=cert))
    assert statuses(last)["foreign_language"] == "met"
    after = evaluate(master_rural(date="2023-04-11", foreign_language=cert))
    fl = after.requirement("foreign_language")
    assert fl.status == "unmet"
    assert fl.have[0]["valid_until"] == "2023-04-10"
    assert fl.have[0]["validity"] == "expired"
    assert "2023-04-10" in fl.message["en"]
    assert "2023-04-11" in fl.message["en"]  # the day it expired
    assert "2023-04-10" in fl.message["ru"]
    assert "2023-04-10" in fl.message["kk"]


def test_kaztest_two_years_from_issue() -> None:
    k = {"score": 120, "max": 150, "date": "2021-04-10"}
    assert statuses(evaluate(master_rural(date="2023-04-10", kaztest=k)))["kaztest"] == "met"
    r = evaluate(master_rural(date="2023-04-11", kaztest=k))
    kt = r.requirement("kaztest")
    assert kt.status == "unmet"
    assert kt.have["valid_until"] == "2023-04-10"
    assert kt.have["expired_on"] == "2023-04-11"
    assert "expired" in kt.message["en"]


def test_kaztest_blocks_expire_too() -> None:
    p = internship_2026(date="2026-05-10")
    p["kaztest"]["date"] = "2024-05-09"
    r = evaluate(p)
    assert r.requirement("kaztest").status == "unmet"
    assert r.requirement("kaztest").have["valid_until"] == "2026-05-09"
    p["kaztest"]["date"] = "2024-05-10"
    assert evaluate(p).requirement("kaztest").status == "met"


def test_leap_day_certificate_runs_to_28_february() -> None:
    cert = [{"test": "ielts", "score": 7.0, "date": "2024-02-29"}]
    assert (
        statuses(evaluate(master_general(date="2026-02-28", foreign_language=cert)))[
            "foreign_language"
        ]
        == "met"
    )
    r = evaluate(master_general(date="2026-03-01", foreign_language=cert))
    assert r.requirement("foreign_language").status == "unmet"
    assert r.requirement("foreign_language").have[0]["valid_until"] == "2026-02-28"


def test_one_valid_certificate_is_enough_among_expired_ones() -> None:
    certs = [
        {"test": "ielts", "score": 7.5, "date": "2019-01-01"},  # expired
        {"test": "toefl_ibt", "score": 61, "date": "2025-06-01"},  # valid, level 3 row for general
    ]
    r = evaluate(master_general(foreign_language=certs))
    assert statuses(r)["foreign_language"] == "met"
    assert r.language_level == 3


def test_expired_certificate_does_not_count_for_level() -> None:
    certs = [
        {"test": "ielts", "score": 7.5, "date": "2019-01-01"},
        {"test": "ielts", "score": 5.0, "date": "2022-12-01"},
    ]
    r = evaluate(master_rural(foreign_language=certs))
    assert r.language_level == 1


def test_certificate_without_date_is_unknown() -> None:
    r = evaluate(master_rural(foreign_language=[{"test": "ielts", "score": 6.0}]))
    assert statuses(r)["foreign_language"] == "unknown"
    assert r.verdict == "incomplete"
    r = evaluate(master_rural(kaztest={"score": 120, "max": 150}))
    assert statuses(r)["kaztest"] == "unknown"


def test_failing_certificate_without_date_is_unmet() -> None:
    r = evaluate(master_rural(foreign_language=[{"test": "ielts", "score": 4.0}]))
    assert statuses(r)["foreign_language"] == "unmet"


def test_certificate_dated_after_the_profile_date_does_not_count() -> None:
    r = evaluate(
        master_rural(
            date="2023-04-10",
            foreign_language=[{"test": "ielts", "score": 6.0, "date": "2023-05-01"}],
        )
    )
    fl = r.requirement("foreign_language")
    assert fl.status == "unmet"
    assert "after the profile date" in fl.message["en"]
