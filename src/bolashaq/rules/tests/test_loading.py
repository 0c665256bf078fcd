"""Loading and validation of rule-set files: errors name the file and the line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bolashaq.rules import RuleSetError, load_rule_set_file, load_rule_sets
from bolashaq.rules.loader import DATA_DIR, load_rule_book

SEEDS = Path("/work/shared/seeds")
DATA = DATA_DIR / "2023.yaml"


def _norm(s: str) -> str:
    s = re.sub(r"<[^>]+>", " ", s)  # the seed's table cells are HTML
    return re.sub(r"\s+", " ", s).strip().casefold()


def _sources(obj: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    if isinstance(obj, dict):
        if "seed" in obj and "quote" in obj:
            out.append(obj)
        for v in obj.values():
            out.extend(_sources(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(_sources(v))
    return out


def test_bundled_rule_sets_load() -> None:
    book = load_rule_sets()
    assert book.ids == ["2023", "2026-internship"]
    assert load_rule_sets() is book  # cached
    rs = book.get("2023")
    assert rs.quotas["scholarships"] == 555
    assert [(a.isoformat(), b.isoformat()) for a, b in rs.windows] == [
        ("2023-01-09", "2023-01-27"),
        ("2023-04-03", "2023-04-28"),
        ("2023-06-05", "2023-07-07"),
        ("2023-07-17", "2023-09-15"),
    ]
    assert sorted(rs.programmes["internship"]) == sorted(
        [
            "engineering",
            "civil_service",
            "medical",
            "teachers",
            "culture_tourism_sport",
            "media",
            "agro",
        ]
    )
    assert len(book.get("2026-internship").programmes["internship"]) == 11


@pytest.mark.skipif(not SEEDS.exists(), reason="seed files not available")
@pytest.mark.parametrize("rule_set", ["2023", "2026-internship"])
def test_every_quote_is_in_its_seed(rule_set: str) -> None:
    rs = load_rule_sets().get(rule_set)
    seeds = {p.name: _norm(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    sources = _sources(rs.raw)
    assert sources
    for s in sources:
        quote = _norm(str(s["quote"]))
        assert quote in seeds[str(s["seed"])], f"{s['seed']}: {s['quote']!r}"


def test_facts_outside_the_seeds_are_marked() -> None:
    rs = load_rule_sets().get("2023")
    vs = rs.validity_source
    assert vs.from_seeds is False
    assert vs.public_source
    facts = {f["id"]: f for f in rs.public_facts}
    assert "Decree No. 573" in str(facts["legal_base"]["source"]["public_source"])
    assert all(f["source"]["from_seeds"] is False for f in facts.values())


def _write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _mutate(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = DATA.read_text(encoding="utf-8")
    assert old in text, old
    return _write(tmp_path, text.replace(old, new, count))


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_unknown_field_names_file_and_line(tmp_path: Path) -> None:
    p = _mutate(
        tmp_path,
        "    kind: min_months\n    field: rural.residence_months\n",
        "    kind: min_months\n    feild: rural.residence_months\n",
    )
    with pytest.raises(RuleSetError) as e:
        load_rule_set_file(p)
    line = _line_of(p, "feild:")
    assert f"{p}:{line}:" in str(e.value)
    assert "unknown field 'feild'" in str(e.value)


def test_unknown_top_level_field(tmp_path: Path) -> None:
    p = _mutate(tmp_path, "seeds: [", "colour: blue\nseeds: [")
    with pytest.raises(
        RuleSetError,
        match=rf"{re.escape(str(p))}:{_line_of(p, 'colour')}: .*unknown field 'colour'",
    ):
        load_rule_set_file(p)


def test_threshold_without_source(tmp_path: Path) -> None:
    text = DATA.read_text(encoding="utf-8")
    block = text[text.index("  rural_work:\n") : text.index("  production_role:\n")]
    without = "\n".join(line for line in block.splitlines() if "source:" not in line) + "\n"
    p = _write(tmp_path, text.replace(block, without))
    with pytest.raises(RuleSetError) as e:
        load_rule_set_file(p)
    msg = str(e.value)
    # the line where the rural_work mapping starts (its first key)
    assert f"{p}:{_line_of(p, '  rural_work:') + 1}:" in msg
    assert "requirement 'rural_work' (threshold min: 24) has no source" in msg


def test_language_level_without_source(tmp_path: Path) -> None:
    p = _mutate(
        tmp_path,
        "        source: {seed: 000_ae4fa7f8f80c9f9c.txt, "
        'quote: "IELTS: 6.0 из 9.0 TOEFL:IBT 60 из 120, PBT/ITP 498 из 677"}\n',
        "",
    )
    with pytest.raises(RuleSetError, match="threshold level 2 has no source"):
        load_rule_set_file(p)


def test_overlapping_category_duplicate_key(tmp_path: Path) -> None:
    text = DATA.read_text(encoding="utf-8")
    start = text.index("      civil_service:\n")
    end = text.index("      medical:\n", start)
    dup = text[start:end].replace("civil_service:", "engineering:")
    p = _write(tmp_path, text[:end] + dup + text[end:])
    with pytest.raises(RuleSetError) as e:
        load_rule_set_file(p)
    msg = str(e.value)
    assert "duplicate key 'engineering'" in msg
    lines = [i for i, ln in enumerate(p.read_text().splitlines(), 1) if ln == "      engineering:"]
    assert f"{p}:{lines[-1]}:" in msg


def test_missing_categories(tmp_path: Path) -> None:
    text = DATA.read_text(encoding="utf-8")
    start = text.index("  residency:\n    note:")
    end = text.index("  doctorate:\n    note:")
    p = _write(
        tmp_path, text[:start] + '  residency:\n    note: "x"\n    categories: {}\n' + text[end:]
    )
    with pytest.raises(RuleSetError, match=r"programmes\.residency: missing categories"):
        load_rule_set_file(p)


def test_quota_category_not_defined(tmp_path: Path) -> None:
    p = _mutate(
        tmp_path,
        "  categories: [rural, engineering, medical]",
        "  categories: [rural, engineering, medical, nuclear]",
    )
    with pytest.raises(RuleSetError, match="category 'nuclear' is not defined under any programme"):
        load_rule_set_file(p)


def test_unknown_category_id(tmp_path: Path) -> None:
    p = _mutate(tmp_path, "      agro:\n", "      agriculture:\n")
    with pytest.raises(
        RuleSetError, match=rf":{_line_of(p, 'agriculture:')}: .*unknown category 'agriculture'"
    ):
        load_rule_set_file(p)


def test_category_without_document_package(tmp_path: Path) -> None:
    p = _mutate(tmp_path, "        documents: doctorate\n", "")
    with pytest.raises(RuleSetError) as e:
        load_rule_set_file(p)
    assert "programmes.doctorate.categories.general: category has no document package" in str(
        e.value
    )
    # the line of the category mapping
    text = p.read_text().splitlines()
    doc_line = next(i for i, ln in enumerate(text, 1) if ln.startswith("  doctorate:") and i > 300)
    assert f"{p}:" in str(e.value)
    assert any(f":{n}:" in str(e.value) for n in range(doc_line, doc_line + 6))


def test_unknown_document_package(tmp_path: Path) -> None:
    p = _mutate(tmp_path, "        documents: doctorate\n", "        documents: phd\n")
    with pytest.raises(
        RuleSetError, match=rf":{_line_of(p, 'documents: phd')}: .*no document package 'phd'"
    ):
        load_rule_set_file(p)


def test_seed_source_needs_a_quote(tmp_path: Path) -> None:
    p = _mutate(
        tmp_path,
        'scholarships_source: {seed: 000_ae4fa7f8f80c9f9c.txt, quote: "555 стипендий"}',
        "scholarships_source: {seed: 000_ae4fa7f8f80c9f9c.txt}",
    )
    with pytest.raises(RuleSetError, match="needs the `quote`"):
        load_rule_set_file(p)


def test_public_source_needs_a_name(tmp_path: Path) -> None:
    p = _mutate(
        tmp_path,
        "    source: {from_seeds: false, "
        'public_source: "Government Decree No. 573 of 11 June 2008"}',
        "    source: {from_seeds: false}",
    )
    with pytest.raises(RuleSetError, match="from_seeds: false needs `public_source`"):
        load_rule_set_file(p)


def test_unknown_requirement_reference(tmp_path: Path) -> None:
    p = _mutate(
        tmp_path,
        "requirements: [rural_residence, rural_work,",
        "requirements: [rural_residense, rural_work,",
    )
    with pytest.raises(RuleSetError, match="'rural_residense' is not defined under requirements"):
        load_rule_set_file(p)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    p = _write(tmp_path, 'id: "x"\ntitle: {kk: a\n  ru: [\n')
    with pytest.raises(RuleSetError, match=rf"{re.escape(str(p))}:\d+: YAML syntax"):
        load_rule_set_file(p)


def test_several_errors_are_reported_together(tmp_path: Path) -> None:
    p = _mutate(tmp_path, "seeds: [", "colour: blue\nseeds: [")
    p.write_text(p.read_text().replace("        documents: doctorate\n", ""))
    with pytest.raises(RuleSetError) as e:
        load_rule_set_file(p)
    assert len(e.value.errors) >= 2


def test_overlapping_periods_across_files(tmp_path: Path) -> None:
    for f in DATA_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    t = tmp_path / "2026-internship.yaml"
    t.write_text(t.read_text().replace("    from: 2026-01-01\n", "    from: 2025-06-01\n"))
    with pytest.raises(RuleSetError) as e:
        load_rule_book(tmp_path)
    assert "in_force overlaps rule set '2023'" in str(e.value)
    assert f"{t}:{_line_of(t, 'programmes: [internship]')}:" in str(e.value)


def test_data_dir_override_and_missing_messages(tmp_path: Path) -> None:
    for f in DATA_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    book = load_rule_sets(tmp_path)
    assert book.ids == ["2023", "2026-internship"]
    m = tmp_path / "messages.yaml"
    m.write_text(m.read_text().replace("  flag.met:", "  flag.met_typo:"))
    with pytest.raises(RuleSetError, match=r"missing template 'flag\.met'"):
        load_rule_book(tmp_path)


def test_messages_render_in_three_languages() -> None:
    book = load_rule_sets()
    for key in book.messages.keys():  # noqa: SIM118 - MessageCatalog is not a dict
        fields = book.messages.fields(key)
        out = book.messages.render(key, dict.fromkeys(fields, "X"))
        assert set(out) == {"kk", "ru", "en"}
        assert all(v.strip() for v in out.values())
