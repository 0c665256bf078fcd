"""KAZTEST: 105 of 150 (2023, seed 000) and five blocks at 60 % (2026, seed 003)."""

from __future__ import annotations

import pytest

from bolashaq.rules import evaluate

from .profiles import BLOCKS_OK, internship_2026, master_rural


@pytest.mark.parametrize(
    ("score", "status"), [(104, "unmet"), (105, "met"), (150, "met"), (0, "unmet")]
)
def test_b1_is_105_of_150(score: int, status: str) -> None:
    r = evaluate(master_rural(kaztest={"score": score, "max": 150, "date": "2023-02-01"}))
    assert r.requirement("kaztest").status == status
    assert r.requirement("kaztest").need == {"score": 105, "max": 150}


def test_score_without_max_is_read_on_the_150_scale() -> None:
    r = evaluate(master_rural(kaztest={"score": 110, "date": "2023-02-01"}))
    assert r.requirement("kaztest").status == "met"


def test_other_scale_is_unknown_never_rescaled() -> None:
    r = evaluate(master_rural(kaztest={"score": 90, "max": 100, "date": "2023-02-01"}))
    assert r.requirement("kaztest").status == "unknown"
    assert "manual review" in r.requirement("kaztest").message["en"]


def test_2023_rule_given_blocks_is_unknown() -> None:
    r = evaluate(master_rural(kaztest={"blocks": dict(BLOCKS_OK), "date": "2023-02-01"}))
    k = r.requirement("kaztest")
    assert k.status == "unknown"
    assert "only block scores" in k.message["en"]


@pytest.mark.parametrize(
    ("block", "threshold"),
    [("listening", 12), ("lexico_grammar", 24), ("reading", 24), ("writing", 30), ("speaking", 30)],
)
def test_each_block_passes_at_60_percent(block: str, threshold: int) -> None:
    p = internship_2026()
    p["kaztest"]["blocks"][block] = threshold
    assert evaluate(p).requirement("kaztest").status == "met"
    p["kaztest"]["blocks"][block] = threshold - 1
    r = evaluate(p)
    k = r.requirement("kaztest")
    assert k.status == "unmet"
    assert k.have["failed"] == [block]
    assert r.verdict == "not_eligible"
    assert k.need[block] == threshold


def test_missing_block_is_unknown() -> None:
    p = internship_2026()
    del p["kaztest"]["blocks"]["speaking"]
    k = evaluate(p).requirement("kaztest")
    assert k.status == "unknown"
    assert k.have["missing"] == ["speaking"]


def test_failing_block_beats_missing_block() -> None:
    p = internship_2026()
    del p["kaztest"]["blocks"]["speaking"]
    p["kaztest"]["blocks"]["listening"] = 5
    assert evaluate(p).requirement("kaztest").status == "unmet"


def test_2026_rule_given_a_150_point_score_is_unknown() -> None:
    r = evaluate(internship_2026(kaztest={"score": 120, "max": 150, "date": "2025-09-01"}))
    k = r.requirement("kaztest")
    assert k.status == "unknown"
    assert r.verdict == "incomplete"
    assert "block" in k.message["en"]


def test_block_above_its_maximum_needs_review() -> None:
    p = internship_2026()
    p["kaztest"]["blocks"]["listening"] = 21
    assert evaluate(p).requirement("kaztest").status == "unknown"


def test_block_messages_are_localised() -> None:
    p = internship_2026()
    p["kaztest"]["blocks"]["speaking"] = 20
    m = evaluate(p).requirement("kaztest").message
    assert "speaking 20 < 30" in m["en"]
    assert "говорение 20 < 30" in m["ru"]
    assert "айтылым 20 < 30" in m["kk"]
