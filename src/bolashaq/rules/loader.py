"""Load rule sets from YAML, validate them with file:line errors, and compile them.

Validation catches unknown fields, overlapping or missing categories, thresholds without a
source, categories without a document package, dangling references and overlapping periods in
force. Every error names the file and the line (from the YAML node marks).
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .messages import LANGS, MessageCatalog, Text
from .models import (
    BLOCKS,
    CATEGORIES,
    FLAG_FIELDS,
    LANGUAGE_TESTS,
    MONTH_FIELDS,
    PROGRAMMES,
    Profile,
)
from .ruleset import (
    DocumentItem,
    InForce,
    LanguageTable,
    RequirementDef,
    RuleBook,
    RuleSet,
    Source,
    Track,
)

__all__ = [
    "DATA_DIR",
    "REQUIRED_MESSAGES",
    "RuleSetError",
    "clear_cache",
    "load_messages",
    "load_rule_book",
    "load_rule_set_file",
    "load_rule_sets",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
MESSAGES_FILE = "messages.yaml"

KINDS = ("flag", "min_months", "kaztest_score", "kaztest_blocks", "foreign_language", "gpa")
#: templates the engine uses; messages.yaml must define each in kk, ru and en
REQUIRED_MESSAGES = (
    [
        "flag.met",
        "flag.unmet",
        "flag.unknown",
        "months.met",
        "months.unmet",
        "months.unknown",
        "months.unknown_continuous",
        "kaztest.met",
        "kaztest.unmet",
        "kaztest.missing",
        "kaztest.blocks_only",
        "kaztest.other_scale",
        "blocks.met",
        "blocks.unmet",
        "blocks.missing_blocks",
        "blocks.missing",
        "blocks.score_only",
        "blocks.over_max",
        "cert.expired",
        "cert.not_yet",
        "cert.no_date",
        "lang.met",
        "lang.unmet",
        "lang.missing",
        "gpa.met",
        "gpa.unmet",
        "gpa.missing",
        "gpa.manual_review",
        "gpa.other_scale",
        "category.unmet",
        "category.no_programme",
        "whatif.score",
        "whatif.renew",
        "whatif.new_certificate",
        "whatif.kaztest",
        "whatif.kaztest_block",
        "whatif.months",
        "whatif.gpa",
        "whatif.flag",
        "whatif.category_eligible",
        "whatif.category_incomplete",
        "whatif.category_offered",
        "word.or",
        "word.none",
    ]
    + [f"block.{b}" for b in BLOCKS]
    + [f"programme.{p}" for p in PROGRAMMES]
)


class RuleSetError(ValueError):
    """A rule-set file is invalid. ``errors`` holds ``(path, line, message)`` triples."""

    def __init__(self, errors: list[tuple[str, int, str]]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"{p}:{ln}: {m}" for p, ln, m in errors))


# --------------------------------------------------------------------------- YAML with marks


class _Map(dict[Any, Any]):
    """A mapping that remembers its line and the line of each key."""

    line: int = 0
    lines: dict[Any, int]


class _Seq(list[Any]):
    line: int = 0
    lines: list[int]


def _construct_map(loader: Any, node: Any) -> _Map:
    loader.flatten_mapping(node)
    m = _Map()
    m.line = node.start_mark.line + 1
    m.lines = {}
    for knode, vnode in node.value:
        key = loader.construct_object(knode, deep=True)
        line = knode.start_mark.line + 1
        if key in m:
            raise _Duplicate(line, f"duplicate key {key!r} (first on line {m.lines[key]})")
        m[key] = loader.construct_object(vnode, deep=True)
        m.lines[key] = line
    return m


def _construct_seq(loader: Any, node: Any) -> _Seq:
    s = _Seq(loader.construct_object(n, deep=True) for n in node.value)
    s.line = node.start_mark.line + 1
    s.lines = [n.start_mark.line + 1 for n in node.value]
    return s


class _Duplicate(Exception):
    def __init__(self, line: int, msg: str) -> None:
        self.line = line
        self.msg = msg


@functools.cache
def _loader_class() -> Any:
    """A SafeLoader that keeps line numbers (built on first use: importing stays cheap)."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc]
        pass

    Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
    Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
    return Loader


def _read_yaml(path: Path, text: str | None = None) -> Any:
    import yaml

    src = path.read_text(encoding="utf-8") if text is None else text
    try:
        return yaml.load(src, Loader=_loader_class())  # noqa: S506 - a SafeLoader subclass
    except _Duplicate as e:
        raise RuleSetError([(str(path), e.line, e.msg)]) from None
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark is not None else 0
        raise RuleSetError([(str(path), line, f"YAML syntax: {e.problem}")]) from None


# --------------------------------------------------------------------------- validation helpers


class _Ctx:
    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[tuple[str, int, str]] = []

    def err(self, line: int, msg: str) -> None:
        self.errors.append((self.path, line, msg))


def _line(obj: Any, key: Any = None, default: int = 0) -> int:
    if isinstance(obj, _Map):
        return obj.lines.get(key, obj.line) if key is not None else obj.line
    if isinstance(obj, _Seq):
        if isinstance(key, int) and 0 <= key < len(obj.lines):
            return obj.lines[key]
        return obj.line
    return default


def _mapping(ctx: _Ctx, v: Any, where: str, line: int) -> _Map | None:
    if not isinstance(v, _Map):
        ctx.err(line, f"{where}: expected a mapping, got {type(v).__name__}")
        return None
    return v


def _fields(
    ctx: _Ctx, m: _Map, where: str, required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    req = tuple(required)
    allowed = set(req) | set(optional)
    for k in m:
        if k not in allowed:
            ctx.err(
                _line(m, k), f"{where}: unknown field {k!r} (allowed: {', '.join(sorted(allowed))})"
            )
    for k in req:
        if k not in m:
            ctx.err(m.line, f"{where}: missing required field {k!r}")


def _text3(ctx: _Ctx, v: Any, where: str, line: int) -> Text:
    m = _mapping(ctx, v, where, line)
    if m is None:
        return ("", "", "")
    _fields(ctx, m, where, LANGS)
    out = []
    for lang in LANGS:
        s = m.get(lang)
        if not isinstance(s, str) or not s.strip():
            if lang in m:
                ctx.err(_line(m, lang), f"{where}.{lang}: expected a non-empty string")
            out.append("")
        else:
            out.append(s)
    return (out[0], out[1], out[2])


def _number(ctx: _Ctx, v: Any, where: str, line: int) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        ctx.err(line, f"{where}: expected a number, got {v!r}")
        return None
    return v


def _date(ctx: _Ctx, v: Any, where: str, line: int, *, nullable: bool = False) -> _dt.date | None:
    if v is None and nullable:
        return None
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        return v
    ctx.err(line, f"{where}: expected a date YYYY-MM-DD, got {v!r}")
    return None


_SOURCE_FIELDS = ("seed", "quote", "section", "from_seeds", "public_source", "note")


def _source(
    ctx: _Ctx, parent: _Map, key: str, where: str, seeds: tuple[str, ...], *, what: str
) -> Source:
    """Validate ``parent[key]`` as a source. A missing source is an error naming ``what``."""
    if key not in parent or parent[key] is None:
        ctx.err(
            parent.line,
            f"{where}: {what} has no source (add `{key}:` with seed + quote, or from_seeds: "
            "false + public_source)",
        )
        return Source(from_seeds=False)
    m = _mapping(ctx, parent[key], f"{where}.{key}", _line(parent, key))
    if m is None:
        return Source(from_seeds=False)
    _fields(ctx, m, f"{where}.{key}", (), _SOURCE_FIELDS)
    from_seeds = m.get("from_seeds", True)
    if not isinstance(from_seeds, bool):
        ctx.err(_line(m, "from_seeds"), f"{where}.{key}.from_seeds: expected true or false")
        from_seeds = True
    for k in ("seed", "quote", "section", "public_source", "note"):
        if k in m and not (isinstance(m[k], str) and m[k].strip()):
            ctx.err(_line(m, k), f"{where}.{key}.{k}: expected a non-empty string")
    if from_seeds:
        seed = m.get("seed")
        if not seed:
            ctx.err(
                m.line,
                f"{where}.{key}: a seed source needs `seed` (or set from_seeds: false and name "
                "the public_source)",
            )
        elif seed not in seeds:
            ctx.err(
                _line(m, "seed"),
                f"{where}.{key}.seed: {seed!r} is not one of this rule set's seeds "
                f"({', '.join(seeds)})",
            )
        if not m.get("quote") and not m.get("section"):
            ctx.err(
                m.line,
                f"{where}.{key}: a seed source needs the `quote` (or `section`) it comes from",
            )
    elif not m.get("public_source"):
        ctx.err(
            m.line, f"{where}.{key}: from_seeds: false needs `public_source` (e.g. Decree No. 573)"
        )
    return Source(
        from_seeds=from_seeds,
        seed=m.get("seed"),
        quote=m.get("quote"),
        section=m.get("section"),
        public_source=m.get("public_source"),
        note=m.get("note"),
    )


def _getter(path: str) -> Callable[[Profile], Any]:
    if "." not in path:
        name = path

        def top(p: Profile) -> Any:
            return getattr(p, name)

        return top
    outer, inner = path.split(".", 1)

    def nested(p: Profile) -> Any:
        o = getattr(p, outer)
        return None if o is None else getattr(o, inner)

    return nested


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, _dt.date):
        return v.isoformat()
    return v


# --------------------------------------------------------------------------- sections

_TOP_REQUIRED = (
    "id",
    "title",
    "seeds",
    "in_force",
    "certificate_validity",
    "requirements",
    "document_catalogue",
    "document_packages",
    "post_award_terms",
    "programmes",
)
_TOP_OPTIONAL = ("quotas", "intake_windows", "language_tables", "public_facts")


def _compile(ctx: _Ctx, doc: Any) -> RuleSet | None:
    top = _mapping(ctx, doc, "rule set", 1)
    if top is None:
        return None
    _fields(ctx, top, "rule set", _TOP_REQUIRED, _TOP_OPTIONAL)
    rid = top.get("id")
    if not isinstance(rid, str) or not rid:
        ctx.err(_line(top, "id"), 'id: expected a non-empty string (quote numbers: id: "2023")')
        rid = "?"
    title = _text3(ctx, top.get("title"), "title", _line(top, "title"))
    seeds_v = top.get("seeds")
    seeds: tuple[str, ...] = ()
    if isinstance(seeds_v, list) and all(isinstance(s, str) for s in seeds_v):
        seeds = tuple(seeds_v)
    elif "seeds" in top:
        ctx.err(_line(top, "seeds"), "seeds: expected a list of seed file names")

    # -- in force
    in_force: list[InForce] = []
    inf = top.get("in_force")
    if not isinstance(inf, _Seq) or not inf:
        if "in_force" in top:
            ctx.err(_line(top, "in_force"), "in_force: expected a non-empty list of periods")
    else:
        for i, item in enumerate(inf):
            m = _mapping(ctx, item, f"in_force[{i}]", _line(inf, i))
            if m is None:
                continue
            _fields(ctx, m, f"in_force[{i}]", ("programmes", "from", "until"), ("note",))
            progs = m.get("programmes")
            if not isinstance(progs, list) or not progs:
                ctx.err(
                    _line(m, "programmes"), f"in_force[{i}].programmes: expected a non-empty list"
                )
                progs = []
            for p in progs:
                if p not in PROGRAMMES:
                    ctx.err(
                        _line(m, "programmes"), f"in_force[{i}].programmes: unknown programme {p!r}"
                    )
            start = _date(ctx, m.get("from"), f"in_force[{i}].from", _line(m, "from"))
            end = _date(
                ctx, m.get("until"), f"in_force[{i}].until", _line(m, "until"), nullable=True
            )
            if start and end and end < start:
                ctx.err(_line(m, "until"), f"in_force[{i}]: until {end} is before from {start}")
            if start:
                in_force.append(
                    InForce(
                        tuple(p for p in progs if p in PROGRAMMES),
                        start,
                        end,
                        m.get("note"),
                        m.line,
                    )
                )
        for a_i, a in enumerate(in_force):
            for b in in_force[a_i + 1 :]:
                common = set(a.programmes) & set(b.programmes)
                if common and _overlap(a, b):
                    ctx.err(
                        b.line,
                        f"in_force: period overlaps the one on line {a.line} for "
                        f"{', '.join(sorted(common))}",
                    )

    # -- certificate validity
    validity: dict[str, int] = {}
    validity_source = Source(from_seeds=False)
    cv = (
        _mapping(
            ctx,
            top.get("certificate_validity"),
            "certificate_validity",
            _line(top, "certificate_validity"),
        )
        if "certificate_validity" in top
        else None
    )
    if cv is not None:
        _fields(ctx, cv, "certificate_validity", (*LANGUAGE_TESTS, "kaztest", "source"))
        validity_source = _source(
            ctx, cv, "source", "certificate_validity", seeds, what="the validity periods"
        )
        for t in (*LANGUAGE_TESTS, "kaztest"):
            e = cv.get(t)
            if e is None:
                continue
            em = _mapping(ctx, e, f"certificate_validity.{t}", _line(cv, t))
            if em is None:
                continue
            _fields(ctx, em, f"certificate_validity.{t}", ("years", "counted_from"))
            y = em.get("years")
            if not isinstance(y, int) or isinstance(y, bool) or y <= 0:
                ctx.err(
                    _line(em, "years"),
                    f"certificate_validity.{t}.years: expected a positive whole number",
                )
                continue
            cf = em.get("counted_from")
            if cf not in ("test_date", "issue_date"):
                ctx.err(
                    _line(em, "counted_from"),
                    f"certificate_validity.{t}.counted_from: expected test_date or issue_date",
                )
            validity[t] = y

    # -- intake windows
    windows: list[tuple[_dt.date, _dt.date]] = []
    windows_source: Source | None = None
    iw = top.get("intake_windows")
    if iw is not None:
        iwm = _mapping(ctx, iw, "intake_windows", _line(top, "intake_windows"))
        if iwm is not None:
            _fields(ctx, iwm, "intake_windows", ("source", "windows"))
            windows_source = _source(
                ctx, iwm, "source", "intake_windows", seeds, what="the intake windows"
            )
            ws = iwm.get("windows")
            if isinstance(ws, _Seq):
                for i, w in enumerate(ws):
                    wm = _mapping(ctx, w, f"intake_windows.windows[{i}]", _line(ws, i))
                    if wm is None:
                        continue
                    _fields(
                        ctx,
                        wm,
                        f"intake_windows.windows[{i}]",
                        ("from", "until"),
                        ("quote", "note"),
                    )
                    wa = _date(
                        ctx, wm.get("from"), f"intake_windows.windows[{i}].from", _line(wm, "from")
                    )
                    wb = _date(
                        ctx,
                        wm.get("until"),
                        f"intake_windows.windows[{i}].until",
                        _line(wm, "until"),
                    )
                    if wa and wb:
                        if wb < wa:
                            ctx.err(wm.line, f"intake_windows.windows[{i}]: until is before from")
                        windows.append((wa, wb))
                windows.sort()
            elif ws is not None:
                ctx.err(_line(iwm, "windows"), "intake_windows.windows: expected a list")

    # -- language tables
    tables: dict[str, LanguageTable] = {}
    lt = top.get("language_tables")
    if lt is not None:
        ltm = _mapping(ctx, lt, "language_tables", _line(top, "language_tables"))
        for tkey, tv in (ltm or {}).items():
            where = f"language_tables.{tkey}"
            tm = _mapping(ctx, tv, where, _line(ltm, tkey))
            if tm is None:
                continue
            _fields(ctx, tm, where, ("title", "levels"), ("source", "note"))
            tsrc = (
                _source(ctx, tm, "source", where, seeds, what="the language table")
                if "source" in tm
                else None
            )
            levels: list[tuple[int, dict[str, float]]] = []
            lv = (
                _mapping(ctx, tm.get("levels"), f"{where}.levels", _line(tm, "levels"))
                if "levels" in tm
                else None
            )
            for lkey, lval in (lv or {}).items():
                lw = f"{where}.levels.{lkey}"
                if lkey not in (1, 2, 3):
                    ctx.err(_line(lv, lkey), f"{lw}: threshold levels are 1, 2 or 3")
                    continue
                lm = _mapping(ctx, lval, lw, _line(lv, lkey))
                if lm is None:
                    continue
                _fields(ctx, lm, lw, ("scores",), ("source", "note"))
                _source(ctx, lm, "source", lw, seeds, what=f"threshold level {lkey}")
                sm = (
                    _mapping(ctx, lm.get("scores"), f"{lw}.scores", _line(lm, "scores"))
                    if "scores" in lm
                    else None
                )
                scores: dict[str, float] = {}
                for test, sv in (sm or {}).items():
                    if test not in LANGUAGE_TESTS:
                        ctx.err(
                            _line(sm, test),
                            f"{lw}.scores: unknown test {test!r} (known: "
                            f"{', '.join(LANGUAGE_TESTS)})",
                        )
                        continue
                    n = _number(ctx, sv, f"{lw}.scores.{test}", _line(sm, test))
                    if n is not None:
                        scores[test] = n
                levels.append((lkey, scores))
            levels.sort(reverse=True)
            tables[str(tkey)] = LanguageTable(
                str(tkey),
                _text3(ctx, tm.get("title"), f"{where}.title", _line(tm, "title")),
                tuple(levels),
                tsrc or Source(from_seeds=False),
            )

    # -- requirements
    reqs: dict[str, RequirementDef] = {}
    rq = (
        _mapping(ctx, top.get("requirements"), "requirements", _line(top, "requirements"))
        if "requirements" in top
        else None
    )
    for rkey, rv in (rq or {}).items():
        rd = _requirement(ctx, str(rkey), rv, _line(rq, rkey), seeds, tables, validity)
        if rd is not None:
            reqs[str(rkey)] = rd

    # -- documents
    catalogue: dict[str, Text] = {}
    dc = (
        _mapping(
            ctx,
            top.get("document_catalogue"),
            "document_catalogue",
            _line(top, "document_catalogue"),
        )
        if "document_catalogue" in top
        else None
    )
    for dkey, dv in (dc or {}).items():
        catalogue[str(dkey)] = _text3(ctx, dv, f"document_catalogue.{dkey}", _line(dc, dkey))
    packages: dict[str, tuple[DocumentItem, ...]] = {}
    dp = (
        _mapping(
            ctx, top.get("document_packages"), "document_packages", _line(top, "document_packages")
        )
        if "document_packages" in top
        else None
    )
    for pkey, pv in (dp or {}).items():
        where = f"document_packages.{pkey}"
        pm = _mapping(ctx, pv, where, _line(dp, pkey))
        if pm is None:
            continue
        _fields(ctx, pm, where, ("items",), ("source", "note"))
        _source(ctx, pm, "source", where, seeds, what="the document package")
        items_v = pm.get("items")
        items: list[DocumentItem] = []
        if not isinstance(items_v, _Seq) or not items_v:
            ctx.err(_line(pm, "items"), f"{where}.items: expected a non-empty list of documents")
        else:
            seen: set[str] = set()
            for i, it in enumerate(items_v):
                im = _mapping(ctx, it, f"{where}.items[{i}]", _line(items_v, i))
                if im is None:
                    continue
                _fields(ctx, im, f"{where}.items[{i}]", ("id",), ("when", "note"))
                did = im.get("id")
                if did not in catalogue:
                    ctx.err(
                        _line(im, "id"),
                        f"{where}.items[{i}]: document {did!r} is not in document_catalogue",
                    )
                    continue
                if did in seen:
                    ctx.err(_line(im, "id"), f"{where}.items[{i}]: document {did!r} listed twice")
                seen.add(did)
                when = im.get("when")
                if when is not None and when not in FLAG_FIELDS:
                    ctx.err(
                        _line(im, "when"),
                        f"{where}.items[{i}].when: {when!r} is not a yes/no profile field "
                        f"({', '.join(FLAG_FIELDS)})",
                    )
                    when = None
                items.append(
                    DocumentItem(did, catalogue[did], when, _getter(when) if when else None)
                )
        packages[str(pkey)] = tuple(items)

    # -- post-award terms
    terms: dict[str, dict[str, Any]] = {}
    pa = (
        _mapping(
            ctx, top.get("post_award_terms"), "post_award_terms", _line(top, "post_award_terms")
        )
        if "post_award_terms" in top
        else None
    )
    for tkey, tv in (pa or {}).items():
        pterm = _post_award(ctx, str(tkey), tv, _line(pa, tkey), seeds, catalogue)
        if pterm is not None:
            terms[str(tkey)] = pterm

    # -- public facts
    facts: list[dict[str, Any]] = []
    pf = top.get("public_facts")
    if pf is not None:
        if not isinstance(pf, _Seq):
            ctx.err(_line(top, "public_facts"), "public_facts: expected a list")
        else:
            for i, f in enumerate(pf):
                fm = _mapping(ctx, f, f"public_facts[{i}]", _line(pf, i))
                if fm is None:
                    continue
                _fields(ctx, fm, f"public_facts[{i}]", ("id", "text", "source"))
                src = _source(ctx, fm, "source", f"public_facts[{i}]", seeds, what="the fact")
                txt = _text3(ctx, fm.get("text"), f"public_facts[{i}].text", _line(fm, "text"))
                facts.append(
                    {
                        "id": fm.get("id"),
                        "text": dict(zip(LANGS, txt, strict=True)),
                        "source": src.to_dict(),
                    }
                )
    for pterm in terms.values():
        pterm["public_facts"] = facts

    # -- quotas
    quotas: dict[str, Any] = {}
    qv = top.get("quotas")
    if qv is not None:
        qm = _mapping(ctx, qv, "quotas", _line(top, "quotas"))
        if qm is not None:
            _fields(
                ctx,
                qm,
                "quotas",
                ("categories",),
                (
                    "scholarships",
                    "scholarships_source",
                    "scholarships_note",
                    "categories_source",
                    "science_engineering_share",
                    "priority_specialties",
                    "priority_specialties_source",
                ),
            )
            if qm.get("scholarships") is not None:
                _number(ctx, qm["scholarships"], "quotas.scholarships", _line(qm, "scholarships"))
                _source(
                    ctx,
                    qm,
                    "scholarships_source",
                    "quotas",
                    seeds,
                    what="the number of scholarships",
                )
            if qm.get("priority_specialties") is not None:
                _source(
                    ctx,
                    qm,
                    "priority_specialties_source",
                    "quotas",
                    seeds,
                    what="the number of priority specialties",
                )
            if qm.get("categories"):
                _source(ctx, qm, "categories_source", "quotas", seeds, what="the quota categories")
            ses = qm.get("science_engineering_share")
            if ses is not None:
                sm = _mapping(
                    ctx,
                    ses,
                    "quotas.science_engineering_share",
                    _line(qm, "science_engineering_share"),
                )
                if sm is not None:
                    _fields(
                        ctx, sm, "quotas.science_engineering_share", ("value",), ("note", "source")
                    )
                    _source(
                        ctx,
                        sm,
                        "source",
                        "quotas.science_engineering_share",
                        seeds,
                        what="the share",
                    )
            quotas = _jsonable(qm)

    # -- programmes and categories
    programmes: dict[str, dict[str, Track]] = {}
    pr = (
        _mapping(ctx, top.get("programmes"), "programmes", _line(top, "programmes"))
        if "programmes" in top
        else None
    )
    for pkey, pv in (pr or {}).items():
        where = f"programmes.{pkey}"
        if pkey not in PROGRAMMES:
            ctx.err(
                _line(pr, pkey),
                f"{where}: unknown programme {pkey!r} (known: {', '.join(PROGRAMMES)})",
            )
            continue
        pm = _mapping(ctx, pv, where, _line(pr, pkey))
        if pm is None:
            continue
        _fields(ctx, pm, where, ("categories",), ("note",))
        cm = pm.get("categories")
        if not isinstance(cm, _Map) or not cm:
            ctx.err(
                _line(pm, "categories"),
                f"{where}: missing categories (each programme needs at least one)",
            )
            continue
        tracks: dict[str, Track] = {}
        for ckey, cvv in cm.items():
            tr = _track(
                ctx, str(pkey), str(ckey), cvv, _line(cm, ckey), seeds, reqs, packages, terms
            )
            if tr is not None:
                tracks[str(ckey)] = tr
        programmes[str(pkey)] = tracks

    # programmes in force vs defined
    forced = {p for f in in_force for p in f.programmes}
    for p in sorted(forced - set(programmes)):
        if pr is not None:
            ctx.err(
                _line(top, "in_force"),
                f"in_force: programme {p!r} is in force but has no categories under programmes",
            )
    for p in sorted(set(programmes) - forced):
        ctx.err(_line(pr, p), f"programmes.{p}: defined but never in force (add it to in_force)")
    # quota categories must exist
    for qc in quotas.get("categories") or []:
        if not any(qc in cats for cats in programmes.values()):
            ctx.err(
                _line(top, "quotas"),
                f"quotas.categories: category {qc!r} is not defined under any programme",
            )

    if ctx.errors:
        return None
    raw = _jsonable(top)
    return RuleSet(
        id=rid,
        title=title,
        path=ctx.path,
        in_force=tuple(in_force),
        programmes=programmes,
        validity=validity,
        validity_source=validity_source,
        windows=tuple(windows),
        windows_source=windows_source,
        quotas=quotas,
        public_facts=tuple(facts),
        raw=raw,
    )


def _overlap(a: InForce, b: InForce) -> bool:
    far = _dt.date.max
    return a.start <= (b.end or far) and b.start <= (a.end or far)


_REQ_COMMON = ("kind", "title", "source")
_REQ_OPTIONAL = {
    "flag": ("field",),
    "min_months": ("field", "min"),
    "kaztest_score": ("min_score", "max_score"),
    "kaztest_blocks": ("blocks", "pass_share"),
    "foreign_language": ("table", "min_level"),
    "gpa": ("scales", "manual_review_scales"),
}


def _requirement(
    ctx: _Ctx,
    key: str,
    v: Any,
    line: int,
    seeds: tuple[str, ...],
    tables: Mapping[str, LanguageTable],
    validity: Mapping[str, int],
) -> RequirementDef | None:
    where = f"requirements.{key}"
    m = _mapping(ctx, v, where, line)
    if m is None:
        return None
    kind = m.get("kind")
    if kind not in KINDS:
        ctx.err(
            _line(m, "kind"), f"{where}.kind: unknown kind {kind!r} (known: {', '.join(KINDS)})"
        )
        return None
    specific = _REQ_OPTIONAL[kind]
    _fields(ctx, m, where, (*_REQ_COMMON, *specific), ("id", "note"))
    threshold = next((k for k in specific if k in m and k not in ("field", "table")), None)
    src = _source(
        ctx,
        m,
        "source",
        where,
        seeds,
        what=f"requirement {key!r}"
        + (f" (threshold {threshold}: {m[threshold]!r})" if threshold else ""),
    )
    title = _text3(ctx, m.get("title"), f"{where}.title", _line(m, "title"))
    rid = m.get("id", key)
    base: dict[str, Any] = {
        "key": key,
        "id": rid,
        "kind": kind,
        "title": title,
        "source": src,
        "source_dict": src.to_dict(),
        "note": m.get("note"),
        "line": m.line,
    }
    if kind in ("flag", "min_months"):
        fld = m.get("field")
        allowed = FLAG_FIELDS if kind == "flag" else MONTH_FIELDS
        if fld not in allowed:
            ctx.err(
                _line(m, "field"),
                f"{where}.field: {fld!r} is not a {'yes/no' if kind == 'flag' else 'month'} "
                f"profile field ({', '.join(allowed)})",
            )
            return None
        base["field"] = fld
        base["getter"] = _getter(fld)
        if kind == "min_months":
            base["minimum"] = _number(ctx, m.get("min"), f"{where}.min", _line(m, "min"))
    elif kind == "kaztest_score":
        base["minimum"] = _number(
            ctx, m.get("min_score"), f"{where}.min_score", _line(m, "min_score")
        )
        base["max_score"] = _number(
            ctx, m.get("max_score"), f"{where}.max_score", _line(m, "max_score")
        )
        if "kaztest" not in validity:
            ctx.err(m.line, f"{where}: certificate_validity has no entry for kaztest")
    elif kind == "kaztest_blocks":
        bm = _mapping(ctx, m.get("blocks"), f"{where}.blocks", _line(m, "blocks"))
        blocks: list[tuple[str, float, float]] = []
        if bm is not None:
            for b in BLOCKS:
                if b not in bm:
                    ctx.err(bm.line, f"{where}.blocks: missing block {b!r}")
            for b, bv in bm.items():
                if b not in BLOCKS:
                    ctx.err(
                        _line(bm, b),
                        f"{where}.blocks: unknown block {b!r} (known: {', '.join(BLOCKS)})",
                    )
                    continue
                bvm = _mapping(ctx, bv, f"{where}.blocks.{b}", _line(bm, b))
                if bvm is None:
                    continue
                _fields(ctx, bvm, f"{where}.blocks.{b}", ("min", "max"))
                lo = _number(ctx, bvm.get("min"), f"{where}.blocks.{b}.min", _line(bvm, "min"))
                hi = _number(ctx, bvm.get("max"), f"{where}.blocks.{b}.max", _line(bvm, "max"))
                if lo is not None and hi is not None:
                    if lo > hi:
                        ctx.err(bvm.line, f"{where}.blocks.{b}: min {lo} is above max {hi}")
                    blocks.append((b, lo, hi))
        blocks.sort(key=lambda t: BLOCKS.index(t[0]))
        base["blocks"] = tuple(blocks)
        base["pass_share"] = _number(
            ctx, m.get("pass_share"), f"{where}.pass_share", _line(m, "pass_share")
        )
        if "kaztest" not in validity:
            ctx.err(m.line, f"{where}: certificate_validity has no entry for kaztest")
    elif kind == "foreign_language":
        tkey = m.get("table")
        table = tables.get(str(tkey))
        if table is None:
            ctx.err(
                _line(m, "table"),
                f"{where}.table: no language table {tkey!r} (defined: "
                f"{', '.join(tables) or 'none'})",
            )
            return None
        lvl = m.get("min_level")
        if not isinstance(lvl, int) or lvl not in [lv for lv, _ in table.levels]:
            ctx.err(
                _line(m, "min_level"), f"{where}.min_level: table {tkey!r} has no level {lvl!r}"
            )
            return None
        base["table"] = table
        base["min_level"] = lvl
        base["lang_minimums"] = table.minimums(lvl)
        base["lang_alternatives"] = {
            t: tuple((u, m) for u, m in base["lang_minimums"].items() if u != t)
            for t in base["lang_minimums"]
        }
        for t in base["lang_minimums"]:
            if t not in validity:
                ctx.err(m.line, f"{where}: certificate_validity has no entry for {t}")
    elif kind == "gpa":
        sc = m.get("scales")
        scales: list[tuple[float, float]] = []
        if not isinstance(sc, _Seq) or not sc:
            ctx.err(
                _line(m, "scales"), f"{where}.scales: expected a non-empty list of {{scale, min}}"
            )
        else:
            for i, s in enumerate(sc):
                smap = _mapping(ctx, s, f"{where}.scales[{i}]", _line(sc, i))
                if smap is None:
                    continue
                _fields(ctx, smap, f"{where}.scales[{i}]", ("scale", "min"))
                gs = _number(
                    ctx, smap.get("scale"), f"{where}.scales[{i}].scale", _line(smap, "scale")
                )
                gm = _number(ctx, smap.get("min"), f"{where}.scales[{i}].min", _line(smap, "min"))
                if gs is not None and gm is not None:
                    scales.append((gs, gm))
        base["gpa_scales"] = tuple(scales)
        mr = m.get("manual_review_scales") or []
        base["manual_review_scales"] = tuple(x for x in mr if isinstance(x, (int, float)))
    base["title_dict"] = dict(zip(LANGS, title, strict=True))
    if kind == "flag":
        base["need"] = True
    elif kind == "min_months":
        base["need"] = base.get("minimum")
    elif kind == "kaztest_score":
        base["need"] = {"score": base.get("minimum"), "max": base.get("max_score")}
    elif kind == "kaztest_blocks":
        base["need"] = {b: lo for b, lo, _hi in base["blocks"]}
    elif kind == "foreign_language":
        base["need"] = {
            "level": base["min_level"],
            "table": base["table"].key,
            "any_of": dict(base["lang_minimums"]),
        }
    elif kind == "gpa":
        base["need"] = {"any_of": [{"scale": a, "min": b} for a, b in base["gpa_scales"]]}
    return RequirementDef(**base)


_TERMS_FIELDS = (
    "work_off",
    "security",
    "security_source",
    "language_courses",
    "language_courses_source",
    "agreements",
    "agreements_source",
    "conclude_within_days",
    "conclude_source",
    "supervision",
)


def _post_award(
    ctx: _Ctx, key: str, v: Any, line: int, seeds: tuple[str, ...], catalogue: Mapping[str, Text]
) -> dict[str, Any] | None:
    where = f"post_award_terms.{key}"
    m = _mapping(ctx, v, where, line)
    if m is None:
        return None
    _fields(ctx, m, where, ("work_off", "security", "security_source"), _TERMS_FIELDS)
    out: dict[str, Any] = {}
    wo = (
        _mapping(ctx, m.get("work_off"), f"{where}.work_off", _line(m, "work_off"))
        if "work_off" in m
        else None
    )
    if wo is not None:
        _fields(
            ctx, wo, f"{where}.work_off", ("min_years",), ("years_by_location", "source", "note")
        )
        src = _source(ctx, wo, "source", f"{where}.work_off", seeds, what="the work-off term")
        _number(ctx, wo.get("min_years"), f"{where}.work_off.min_years", _line(wo, "min_years"))
        out["work_off"] = {
            "min_years": wo.get("min_years"),
            "years_by_location": _jsonable(wo.get("years_by_location")),
            "source": src.to_dict(),
        }
    sec = (
        _mapping(ctx, m.get("security"), f"{where}.security", _line(m, "security"))
        if "security" in m
        else None
    )
    if sec is not None:
        _fields(ctx, sec, f"{where}.security", ("type", "guarantors"))
        st = sec.get("type")
        if st not in ("pledge", "guarantors"):
            ctx.err(_line(sec, "type"), f"{where}.security.type: expected pledge or guarantors")
        g = sec.get("guarantors")
        if (
            not isinstance(g, int)
            or isinstance(g, bool)
            or g < 0
            or (st == "guarantors" and g == 0)
        ):
            ctx.err(
                _line(sec, "guarantors"),
                f"{where}.security.guarantors: expected a whole number (> 0 for guarantors)",
            )
        ssrc = _source(ctx, m, "security_source", where, seeds, what="the security term")
        out["security"] = st
        out["pledge"] = st == "pledge"
        out["guarantors"] = g
        out["security_source"] = ssrc.to_dict()
    lc = m.get("language_courses")
    out["language_courses"] = lc
    if lc is not None:
        out["language_courses_source"] = _source(
            ctx, m, "language_courses_source", where, seeds, what="the language courses"
        ).to_dict()
    agreements = []
    for i, a in enumerate(m.get("agreements") or []):
        if a not in catalogue:
            ctx.err(
                _line(m, "agreements"),
                f"{where}.agreements[{i}]: {a!r} is not in document_catalogue",
            )
            continue
        agreements.append({"id": a, "title": dict(zip(LANGS, catalogue[a], strict=True))})
    out["agreements"] = agreements
    if "agreements_source" in m:
        out["agreements_source"] = _source(
            ctx, m, "agreements_source", where, seeds, what="the agreements"
        ).to_dict()
    if "conclude_within_days" in m:
        out["conclude_within_days"] = m.get("conclude_within_days")
        out["conclude_source"] = _source(
            ctx, m, "conclude_source", where, seeds, what="the 90-day term"
        ).to_dict()
    sup = m.get("supervision")
    if sup is not None:
        sm = _mapping(ctx, sup, f"{where}.supervision", _line(m, "supervision"))
        if sm is not None:
            _fields(ctx, sm, f"{where}.supervision", ("text", "source"))
            out["supervision"] = {
                "text": dict(
                    zip(
                        LANGS,
                        _text3(ctx, sm.get("text"), f"{where}.supervision.text", _line(sm, "text")),
                        strict=True,
                    )
                ),
                "source": _source(
                    ctx, sm, "source", f"{where}.supervision", seeds, what="the supervision term"
                ).to_dict(),
            }
    return out


def _track(
    ctx: _Ctx,
    programme: str,
    category: str,
    v: Any,
    line: int,
    seeds: tuple[str, ...],
    reqs: Mapping[str, RequirementDef],
    packages: Mapping[str, tuple[DocumentItem, ...]],
    terms: Mapping[str, Mapping[str, Any]],
) -> Track | None:
    where = f"programmes.{programme}.categories.{category}"
    if category not in CATEGORIES:
        ctx.err(line, f"{where}: unknown category {category!r} (known: {', '.join(CATEGORIES)})")
        return None
    m = _mapping(ctx, v, where, line)
    if m is None:
        return None
    _fields(
        ctx,
        m,
        where,
        ("title", "source", "requirements", "post_award"),
        ("documents", "not_considered", "not_considered_source", "note"),
    )
    src = _source(ctx, m, "source", where, seeds, what="the category")
    title = _text3(ctx, m.get("title"), f"{where}.title", _line(m, "title"))
    rl = m.get("requirements")
    out: list[RequirementDef] = []
    if not isinstance(rl, list) or not rl:
        ctx.err(
            _line(m, "requirements"),
            f"{where}.requirements: expected a non-empty list of requirement names",
        )
    else:
        seen: dict[str, str] = {}
        for r in rl:
            rd = reqs.get(r)
            if rd is None:
                ctx.err(
                    _line(m, "requirements"),
                    f"{where}.requirements: {r!r} is not defined under requirements",
                )
                continue
            if rd.id in seen:
                ctx.err(
                    _line(m, "requirements"),
                    f"{where}.requirements: {r!r} and {seen[rd.id]!r} both report as {rd.id!r}",
                )
            seen[rd.id] = r
            out.append(rd)
    docs = m.get("documents")
    if docs is None:
        ctx.err(
            m.line,
            f"{where}: category has no document package (add `documents:` naming one of: "
            f"{', '.join(packages) or 'none'})",
        )
        pkg: tuple[DocumentItem, ...] = ()
    elif docs not in packages:
        ctx.err(
            _line(m, "documents"),
            f"{where}.documents: no document package {docs!r} (defined: "
            f"{', '.join(packages) or 'none'})",
        )
        pkg = ()
    else:
        pkg = packages[docs]
    pa = m.get("post_award")
    if pa not in terms:
        ctx.err(_line(m, "post_award"), f"{where}.post_award: no post_award_terms entry {pa!r}")
    nc = m.get("not_considered") or []
    if nc:
        _source(ctx, m, "not_considered_source", where, seeds, what="'not considered'")
    return Track(
        programme=programme,
        category=category,
        title=title,
        source=src,
        requirements=tuple(out),
        documents=pkg,
        post_award=terms.get(str(pa), {}),
        not_considered=tuple(str(x) for x in nc),
        has_language=any(r.kind == "foreign_language" for r in out),
        signature=tuple(r.key for r in out),
        static_documents=(tuple(d.json for d in pkg) if all(d.when is None for d in pkg) else None),
    )


# --------------------------------------------------------------------------- public loaders


def load_rule_set_file(path: str | os.PathLike[str], *, text: str | None = None) -> RuleSet:
    """Load, validate and compile one rule-set file. Raises :class:`RuleSetError`."""
    p = Path(path)
    ctx = _Ctx(str(p))
    doc = _read_yaml(p, text)
    rs = _compile(ctx, doc)
    if ctx.errors or rs is None:
        raise RuleSetError(ctx.errors or [(str(p), 1, "empty rule set")])
    return rs


def load_messages(path: str | os.PathLike[str] | None = None) -> MessageCatalog:
    p = Path(path) if path is not None else DATA_DIR / MESSAGES_FILE
    ctx = _Ctx(str(p))
    doc = _read_yaml(p)
    top = _mapping(ctx, doc, "messages file", 1)
    texts: dict[str, Text] = {}
    if top is not None:
        _fields(ctx, top, "messages file", ("messages",))
        mm = (
            _mapping(ctx, top.get("messages"), "messages", _line(top, "messages"))
            if "messages" in top
            else None
        )
        for k, v in (mm or {}).items():
            texts[str(k)] = _text3(ctx, v, f"messages.{k}", _line(mm, k))
        for k in REQUIRED_MESSAGES:
            if mm is not None and k not in mm:
                ctx.err(mm.line, f"messages: missing template {k!r}")
    if ctx.errors:
        raise RuleSetError(ctx.errors)
    return MessageCatalog(texts)


def load_rule_book(data_dir: str | os.PathLike[str] | None = None) -> RuleBook:
    """Load every ``*.yaml`` rule set in ``data_dir`` (default: the package's data/) uncached."""
    d = Path(data_dir) if data_dir is not None else DATA_DIR
    files = sorted(f for f in d.glob("*.yaml") if f.name != MESSAGES_FILE)
    errors: list[tuple[str, int, str]] = []
    sets: list[RuleSet] = []
    for f in files:
        try:
            sets.append(load_rule_set_file(f))
        except RuleSetError as e:
            errors.extend(e.errors)
    try:
        messages = load_messages(d / MESSAGES_FILE if (d / MESSAGES_FILE).exists() else None)
    except RuleSetError as e:
        errors.extend(e.errors)
    if not errors and not sets:
        errors.append((str(d), 0, "no rule-set files (*.yaml) found"))
    seen: dict[str, RuleSet] = {}
    for r in sets:
        if r.id in seen:
            errors.append((r.path, 1, f"rule set id {r.id!r} is also used by {seen[r.id].path}"))
        seen[r.id] = r
    for i, a in enumerate(sets):
        for b in sets[i + 1 :]:
            for fa in a.in_force:
                for fb in b.in_force:
                    common = set(fa.programmes) & set(fb.programmes)
                    if common and _overlap(fa, fb):
                        errors.append(
                            (
                                b.path,
                                fb.line,
                                f"in_force overlaps rule set {a.id!r} ({a.path}:{fa.line}) for "
                                f"{', '.join(sorted(common))}: "
                                "a programme must have one rule set per day",
                            )
                        )
    if errors:
        raise RuleSetError(errors)
    return RuleBook(tuple(sets), messages)


@functools.lru_cache(maxsize=8)
def _cached(data_dir: str) -> RuleBook:
    return load_rule_book(data_dir)


#: the package's own rule book once loaded (the common case of load_rule_sets, without a lookup)
_DEFAULT: list[RuleBook] = []


def load_rule_sets(data_dir: str | os.PathLike[str] | None = None) -> RuleBook:
    """The rule sets in ``data_dir`` (default: the package data), loaded once and cached."""
    if data_dir is None:
        if not _DEFAULT:
            _DEFAULT.append(_cached(str(DATA_DIR)))
        return _DEFAULT[0]
    return _cached(str(Path(data_dir).resolve()))


def clear_cache() -> None:
    """Forget cached rule sets (after editing data files in a running process)."""
    _DEFAULT.clear()
    _cached.cache_clear()
