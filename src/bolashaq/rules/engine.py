"""Evaluate a profile against the rule set in force: verdict, per-requirement explanation,
language level, documents, post-award terms and what-if suggestions."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from .loader import load_rule_sets
from .messages import Arg, MessageCatalog, Text
from .models import LanguageCertificate, Profile, ProfileError, parse_profile
from .ruleset import NoRuleSetError, RequirementDef, RuleBook, RuleSet, Track, add_years

__all__ = [
    "MET",
    "UNKNOWN",
    "UNMET",
    "RequirementResult",
    "Result",
    "evaluate",
    "evaluate_track",
    "verdict_of",
]

MET = "met"
UNMET = "unmet"
UNKNOWN = "unknown"
ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
INCOMPLETE = "incomplete"

_T = TypeVar("_T")
_ONE_DAY = _dt.timedelta(days=1)
_EPS = 1e-9
_LANG_NAMES = {
    "ielts": "IELTS",
    "ielts_indicator": "IELTS Indicator",
    "toefl_ibt": "TOEFL iBT",
    "toefl_pbt": "TOEFL PBT",
    "toefl_itp": "TOEFL ITP",
    "det": "DET",
    "kaztest": "KAZTEST",
}


def _num(x: float | None) -> str:
    """Human form of a score: ints as ints, floats as written (6.0 stays 6.0)."""
    if x is None:
        return "—"
    return str(x)


def _months(x: float | None) -> str:
    if x is None:
        return "—"
    return str(int(x)) if float(x).is_integer() else str(x)


def _iso(d: _dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


class RequirementResult:
    """The outcome of one requirement. ``message`` is rendered on first use (kk/ru/en)."""

    __slots__ = (
        "_catalog",
        "_message",
        "_source",
        "args",
        "have",
        "id",
        "key",
        "msg_key",
        "need",
        "req",
        "status",
    )

    def __init__(
        self,
        req: RequirementDef | None,
        rid: str,
        status: str,
        need: Any,
        have: Any,
        msg_key: str,
        args: dict[str, Arg],
        catalog: MessageCatalog,
        source: Mapping[str, Any] | None = None,
    ) -> None:
        self.req = req
        self.id = rid
        self.key = req.key if req is not None else rid
        self.status = status
        self.need = need
        self.have = have
        self.msg_key = msg_key
        self.args = args
        self._catalog = catalog
        self._message: dict[str, str] | None = None
        self._source: Mapping[str, Any] = source if source is not None else {}

    @property
    def source(self) -> Mapping[str, Any]:
        if self.req is not None:
            return self.req.source_dict
        return self._source

    @property
    def title(self) -> Text | None:
        return self.req.title if self.req is not None else None

    @property
    def message(self) -> dict[str, str]:
        m = self._message
        if m is None:
            m = self._message = self._catalog.render(self.msg_key, self.args)
        return m

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "need": self.need,
            "have": self.have,
            "source": dict(self.source),
            "message": dict(self.message),
        }
        t = self.title
        if t is not None:
            d["title"] = {"kk": t[0], "ru": t[1], "en": t[2]}
        return d

    def __repr__(self) -> str:
        return f"RequirementResult({self.id!r}, {self.status!r}, need={self.need!r})"


def _must(x: _T | None) -> _T:
    """A compiled rule always has the parts its kind needs; anything else is a loader bug."""
    if x is None:
        raise RuntimeError("compiled requirement is missing a part its kind needs")
    return x


def verdict_of(statuses: Iterable[str]) -> str:
    """eligible iff nothing unmet and nothing unknown; not_eligible if anything unmet."""
    unknown = False
    for s in statuses:
        if s == UNMET:
            return NOT_ELIGIBLE
        if s == UNKNOWN:
            unknown = True
    return INCOMPLETE if unknown else ELIGIBLE


# --------------------------------------------------------------------------- certificate validity


def _validity(d: _dt.date | None, years: int, on: _dt.date) -> tuple[str, _dt.date | None]:
    """("ok" | "expired" | "not_yet" | "no_date", last valid day)."""
    if d is None:
        return "no_date", None
    until = add_years(d, years)
    if d > on:
        return "not_yet", until
    if on > until:
        return "expired", until
    return "ok", until


def _cert_args(title: Text, cert: str, until: _dt.date | None, on: _dt.date) -> dict[str, Arg]:
    return {
        "title": title,
        "cert": cert,
        "valid_until": _iso(until) or "—",
        "expired_on": (_iso(until + _ONE_DAY) or "—") if until else "—",
        "date": on.isoformat(),
    }


# --------------------------------------------------------------------------- checks


class _Ctx:
    __slots__ = ("catalog", "lang_level", "profile", "rs")

    def __init__(self, profile: Profile, rs: RuleSet, catalog: MessageCatalog) -> None:
        self.profile = profile
        self.rs = rs
        self.catalog = catalog
        self.lang_level: int | None = None


def _check_flag(req: RequirementDef, c: _Ctx) -> RequirementResult:
    v = _must(req.getter)(c.profile)
    if v is True:
        st, key = MET, "flag.met"
    elif v is False:
        st, key = UNMET, "flag.unmet"
    else:
        st, key = UNKNOWN, "flag.unknown"
    return RequirementResult(req, req.id, st, True, v, key, {"title": req.title}, c.catalog)


def _check_months(req: RequirementDef, c: _Ctx) -> RequirementResult:
    p = c.profile
    v = _must(req.getter)(p)
    need = _must(req.minimum)
    args: dict[str, Arg] = {"title": req.title, "need": _months(need)}
    if v is None:
        exp = p.experience
        if (
            exp is not None
            and req.field == "experience.field_continuous_months"
            and exp.field_months is not None
        ):
            # fewer months in the field than required: they cannot be unbroken either
            args["have"] = _months(exp.field_months)
            have = {"field_months": exp.field_months, "field_continuous_months": None}
            if exp.field_months + _EPS < need:
                return RequirementResult(
                    req, req.id, UNMET, need, have, "months.unmet", args, c.catalog
                )
            return RequirementResult(
                req, req.id, UNKNOWN, need, have, "months.unknown_continuous", args, c.catalog
            )
        if (
            exp is not None
            and req.field == "experience.field_months"
            and exp.field_continuous_months is not None
        ):
            cm = exp.field_continuous_months
            if cm + _EPS >= need:  # unbroken months in the field are months in the field
                args["have"] = _months(cm)
                have = {"field_months": None, "field_continuous_months": cm}
                return RequirementResult(
                    req, req.id, MET, need, have, "months.met", args, c.catalog
                )
        return RequirementResult(
            req, req.id, UNKNOWN, need, None, "months.unknown", args, c.catalog
        )
    args["have"] = _months(v)
    if v + _EPS >= need:
        return RequirementResult(req, req.id, MET, need, v, "months.met", args, c.catalog)
    return RequirementResult(req, req.id, UNMET, need, v, "months.unmet", args, c.catalog)


def _check_kaztest_score(req: RequirementDef, c: _Ctx) -> RequirementResult:
    p = c.profile
    k = p.kaztest
    need_min = _must(req.minimum)
    mx = _must(req.max_score)
    need = {"score": need_min, "max": mx}
    args: dict[str, Arg] = {"title": req.title, "need": _num(need_min), "max": _num(mx)}
    if k is None or k.score is None:
        if k is not None and k.blocks is not None:
            have: Any = {"blocks": dict(k.blocks), "date": _iso(k.date)}
            return RequirementResult(
                req, req.id, UNKNOWN, need, have, "kaztest.blocks_only", args, c.catalog
            )
        return RequirementResult(
            req, req.id, UNKNOWN, need, None, "kaztest.missing", args, c.catalog
        )
    state, until = _validity(k.date, c.rs.validity["kaztest"], p.date)
    have = {
        "score": k.score,
        "max": k.max if k.max is not None else mx,
        "date": _iso(k.date),
        "valid_until": _iso(until),
    }
    args["have"] = _num(k.score)
    if k.max is not None and abs(k.max - mx) > _EPS:
        args["given_max"] = _num(k.max)
        return RequirementResult(
            req, req.id, UNKNOWN, need, have, "kaztest.other_scale", args, c.catalog
        )
    if k.score + _EPS < need_min:
        return RequirementResult(req, req.id, UNMET, need, have, "kaztest.unmet", args, c.catalog)
    if state != "ok":
        return _date_problem(req, c, need, have, state, "KAZTEST", until)
    args["valid_until"] = _iso(until) or "—"
    return RequirementResult(req, req.id, MET, need, have, "kaztest.met", args, c.catalog)


def _date_problem(
    req: RequirementDef,
    c: _Ctx,
    need: Any,
    have: Any,
    state: str,
    cert: str,
    until: _dt.date | None,
) -> RequirementResult:
    args = _cert_args(req.title, cert, until, c.profile.date)
    if state == "no_date":
        return RequirementResult(req, req.id, UNKNOWN, need, have, "cert.no_date", args, c.catalog)
    if state == "expired":
        if isinstance(have, dict) and until is not None:
            have["expired_on"] = _iso(until + _ONE_DAY)
        return RequirementResult(req, req.id, UNMET, need, have, "cert.expired", args, c.catalog)
    return RequirementResult(req, req.id, UNMET, need, have, "cert.not_yet", args, c.catalog)


def _block_names(catalog: MessageCatalog, items: Iterable[tuple[str, str]]) -> Text:
    """'listening 10/20, …' in each language."""
    parts: list[list[str]] = [[], [], []]
    for b, suffix in items:
        t = catalog.text("block." + b)
        for i in range(3):
            parts[i].append(t[i] + suffix)
    return (", ".join(parts[0]), ", ".join(parts[1]), ", ".join(parts[2]))


def _check_kaztest_blocks(req: RequirementDef, c: _Ctx) -> RequirementResult:
    p = c.profile
    k = p.kaztest
    need = {b: lo for b, lo, _hi in req.blocks}
    args: dict[str, Arg] = {
        "title": req.title,
        "need": _block_names(
            c.catalog, ((b, f" ≥ {_num(lo)}/{_num(hi)}") for b, lo, hi in req.blocks)
        ),
    }
    if k is None or k.blocks is None:
        if k is not None and k.score is not None:
            args["have"] = f"{_num(k.score)}/{_num(k.max) if k.max is not None else '?'}"
            have: Any = {"score": k.score, "max": k.max, "date": _iso(k.date)}
            return RequirementResult(
                req, req.id, UNKNOWN, need, have, "blocks.score_only", args, c.catalog
            )
        return RequirementResult(
            req, req.id, UNKNOWN, need, None, "blocks.missing", args, c.catalog
        )
    given = k.blocks
    state, until = _validity(k.date, c.rs.validity["kaztest"], p.date)
    have = {"blocks": dict(given), "date": _iso(k.date), "valid_until": _iso(until)}
    failed = [(b, lo, given[b]) for b, lo, _hi in req.blocks if b in given and given[b] + _EPS < lo]
    if failed:
        have["failed"] = [b for b, _, _ in failed]
        args["failed"] = _block_names(
            c.catalog, ((b, f" {_num(v)} < {_num(lo)}") for b, lo, v in failed)
        )
        return RequirementResult(req, req.id, UNMET, need, have, "blocks.unmet", args, c.catalog)
    over = [(b, hi) for b, _lo, hi in req.blocks if b in given and given[b] > hi + _EPS]
    if over:
        args["over"] = _block_names(
            c.catalog, ((b, f" {_num(given[b])} > {_num(hi)}") for b, hi in over)
        )
        return RequirementResult(
            req, req.id, UNKNOWN, need, have, "blocks.over_max", args, c.catalog
        )
    missing = [b for b, _lo, _hi in req.blocks if b not in given]
    if missing:
        have["missing"] = missing
        args["missing"] = _block_names(c.catalog, ((b, "") for b in missing))
        return RequirementResult(
            req, req.id, UNKNOWN, need, have, "blocks.missing_blocks", args, c.catalog
        )
    if state != "ok":
        return _date_problem(req, c, need, have, state, "KAZTEST", until)
    args["have"] = _block_names(
        c.catalog, ((b, f" {_num(given[b])}/{_num(hi)}") for b, _lo, hi in req.blocks)
    )
    args["valid_until"] = _iso(until) or "—"
    return RequirementResult(req, req.id, MET, need, have, "blocks.met", args, c.catalog)


def _cert_label(cert: LanguageCertificate) -> str:
    name = _LANG_NAMES.get(cert.test, cert.test)
    return (
        f"{name} {_num(cert.score)} ({cert.date.isoformat()})"
        if cert.date
        else f"{name} {_num(cert.score)}"
    )


_options_cache: dict[int, Text] = {}


def _options_text(req: RequirementDef, catalog: MessageCatalog) -> Text:
    t = _options_cache.get(id(req))
    if t is None:
        words = catalog.text("word.or")
        items = [f"{_LANG_NAMES[k]} {_num(v)}" for k, v in req.lang_minimums.items()]
        t = (f" {words[0]} ".join(items), f" {words[1]} ".join(items), f" {words[2]} ".join(items))
        _options_cache[id(req)] = t
    return t


def _check_language(req: RequirementDef, c: _Ctx) -> RequirementResult:
    p = c.profile
    table = _must(req.table)
    need = {"level": req.min_level, "table": table.key, "any_of": dict(req.lang_minimums)}
    args: dict[str, Arg] = {"title": req.title, "need": _options_text(req, c.catalog)}
    certs = p.foreign_language
    if certs is None:
        return RequirementResult(req, req.id, UNKNOWN, need, None, "lang.missing", args, c.catalog)
    if not certs:
        return RequirementResult(req, req.id, UNMET, need, [], "lang.missing", args, c.catalog)
    validity = c.rs.validity
    on = p.date
    best: int | None = None
    best_cert: LanguageCertificate | None = None
    undated: LanguageCertificate | None = None
    stale: tuple[LanguageCertificate, str, _dt.date | None] | None = None
    have: list[dict[str, Any]] = []
    min_level = req.min_level
    for cert in certs:
        level = table.level_of(cert.test, cert.score)
        years = validity.get(cert.test)
        if years is None:
            state, until = "ok", None
        else:
            state, until = _validity(cert.date, years, on)
        have.append(
            {
                "test": cert.test,
                "score": cert.score,
                "date": _iso(cert.date),
                "valid_until": _iso(until),
                "validity": state if state != "ok" else "valid",
                "level": level,
                "accepted": cert.test in req.lang_minimums,
            }
        )
        if level is None:
            continue
        if state == "ok":
            if best is None or level > best:
                best, best_cert = level, cert
        elif level >= min_level:
            if state == "no_date":
                undated = undated or cert
            elif stale is None:
                stale = (cert, state, until)
    c.lang_level = best
    if best is not None and best >= min_level:
        args["cert"] = _cert_label(_must(best_cert))
        args["level"] = str(best)
        return RequirementResult(req, req.id, MET, need, have, "lang.met", args, c.catalog)
    if undated is not None:
        return RequirementResult(
            req,
            req.id,
            UNKNOWN,
            need,
            have,
            "cert.no_date",
            _cert_args(req.title, _cert_label(undated), None, on),
            c.catalog,
        )
    if stale is not None:
        cert, state, until = stale
        a = _cert_args(req.title, _cert_label(cert), until, on)
        key = "cert.expired" if state == "expired" else "cert.not_yet"
        return RequirementResult(req, req.id, UNMET, need, have, key, a, c.catalog)
    args["have"] = ", ".join(_cert_label(x) for x in certs)
    return RequirementResult(req, req.id, UNMET, need, have, "lang.unmet", args, c.catalog)


def _check_gpa(req: RequirementDef, c: _Ctx) -> RequirementResult:
    g = c.profile.gpa
    scales = req.gpa_scales
    all_need = " / ".join(f"{_num(m)} ({_num(s)})" for s, m in scales)
    args: dict[str, Arg] = {"title": req.title}
    if g is None:
        args["need"] = all_need
        need: Any = {"any_of": [{"scale": s, "min": m} for s, m in scales]}
        return RequirementResult(req, req.id, UNKNOWN, need, None, "gpa.missing", args, c.catalog)
    have = {"value": g.value, "scale": g.scale}
    args["have"] = _num(g.value)
    args["scale"] = _num(g.scale)
    for s, m in scales:
        if abs(s - g.scale) < 1e-6:
            args["need"] = _num(m)
            need = {"min": m, "scale": s}
            if g.value + _EPS >= m:
                return RequirementResult(req, req.id, MET, need, have, "gpa.met", args, c.catalog)
            return RequirementResult(req, req.id, UNMET, need, have, "gpa.unmet", args, c.catalog)
    need = {"any_of": [{"scale": s, "min": m} for s, m in scales]}
    args["need"] = all_need
    for s in req.manual_review_scales:
        if abs(s - g.scale) < 1e-6:
            return RequirementResult(
                req, req.id, UNKNOWN, need, have, "gpa.manual_review", args, c.catalog
            )
    return RequirementResult(req, req.id, UNKNOWN, need, have, "gpa.other_scale", args, c.catalog)


_CHECKS = {
    "flag": _check_flag,
    "min_months": _check_months,
    "kaztest_score": _check_kaztest_score,
    "kaztest_blocks": _check_kaztest_blocks,
    "foreign_language": _check_language,
    "gpa": _check_gpa,
}


def evaluate_track(
    track: Track, c: _Ctx, cache: dict[str, RequirementResult] | None = None
) -> list[RequirementResult]:
    """Run every requirement of ``track``; ``cache`` shares outcomes of the same definition."""
    out: list[RequirementResult] = []
    for req in track.requirements:
        if cache is not None:
            r = cache.get(req.key)
            if r is None:
                r = cache[req.key] = _CHECKS[req.kind](req, c)
        else:
            r = _CHECKS[req.kind](req, c)
        out.append(r)
    return out


# --------------------------------------------------------------------------- result


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


class Result:
    """The outcome of one evaluation. :meth:`to_dict` gives the JSON output."""

    __slots__ = (
        "category",
        "date",
        "documents",
        "id",
        "intake",
        "language_level",
        "post_award",
        "programme",
        "requirements",
        "rule_set",
        "track",
        "verdict",
        "warnings",
        "what_if",
    )

    def __init__(
        self,
        *,
        verdict: str,
        rule_set: RuleSet,
        profile: Profile,
        track: Track | None,
        requirements: list[RequirementResult],
        language_level: int | None,
        what_if: list[dict[str, Any]],
    ) -> None:
        self.verdict = verdict
        self.rule_set = rule_set
        self.id = profile.id
        self.date = profile.date
        self.programme = profile.programme
        self.category = profile.category
        self.track = track
        self.requirements = requirements
        self.language_level = language_level
        self.what_if = what_if
        self.warnings = profile.warnings
        if track is None:
            self.documents: list[dict[str, Any]] = []
            self.post_award: Mapping[str, Any] | None = None
        else:
            self.documents = [
                {"id": d.id, "title": {"kk": d.title[0], "ru": d.title[1], "en": d.title[2]}}
                for d in track.documents
                if d.when_getter is None or d.when_getter(profile) is True
            ]
            self.post_award = track.post_award
        self.intake = rule_set.intake(profile.date) if rule_set.windows else None

    @property
    def eligible(self) -> bool:
        return self.verdict == ELIGIBLE

    def requirement(self, rid: str) -> RequirementResult:
        for r in self.requirements:
            if r.id == rid:
                return r
        raise KeyError(rid)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.id is not None:
            d["id"] = self.id
        d["verdict"] = self.verdict
        d["rule_set"] = self.rule_set.id
        d["date"] = self.date.isoformat()
        d["programme"] = self.programme
        d["category"] = self.category
        d["requirements"] = [r.to_dict() for r in self.requirements]
        d["language_level"] = self.language_level
        d["documents"] = self.documents
        d["post_award"] = _copy(self.post_award) if self.post_award is not None else None
        d["what_if"] = self.what_if
        d["intake"] = self.intake
        if self.warnings:
            d["warnings"] = list(self.warnings)
        return d

    def __repr__(self) -> str:
        return f"Result({self.verdict!r}, {self.rule_set.id!r}, {self.programme}/{self.category})"


# --------------------------------------------------------------------------- evaluate


def _category_problem(rs: RuleSet, p: Profile, c: _Ctx) -> RequirementResult:
    cats = rs.programmes.get(p.programme)
    prog = c.catalog.text("programme." + p.programme)
    if not cats:
        return RequirementResult(
            None,
            "category",
            UNMET,
            {"programme": p.programme, "rule_set": rs.id},
            {"programme": p.programme},
            "category.no_programme",
            {"programme": prog},
            c.catalog,
            source={
                "from_seeds": True,
                "section": f"rule set {rs.id}: programmes",
                "note": "programme not covered",
            },
        )
    offered = list(cats)
    quotes = [t.source.quote for t in cats.values() if t.source.quote]
    seed = next((t.source.seed for t in cats.values() if t.source.seed), None)
    src: dict[str, Any] = {
        "from_seeds": True,
        "section": f"categories offered for {p.programme} in rule set {rs.id}",
    }
    if seed:
        src["seed"] = seed
    if quotes:
        src["quote"] = " / ".join(dict.fromkeys(quotes))
    return RequirementResult(
        None,
        "category",
        UNMET,
        {"programme": p.programme, "categories": offered},
        p.category,
        "category.unmet",
        {"category": p.category, "programme": prog, "offered": ", ".join(offered)},
        c.catalog,
        source=src,
    )


def evaluate(
    profile: Mapping[str, Any] | Profile,
    *,
    today: _dt.date | None = None,
    rule_set: str | RuleSet | None = None,
    rules: RuleBook | None = None,
    what_if: bool = True,
) -> Result:
    """Evaluate ``profile`` (the JSON dict or a :class:`Profile`).

    The rule set is the one in force for the profile's programme on its ``date`` unless
    ``rule_set`` (an id or a :class:`RuleSet`) forces one. ``today`` fills in a missing ``date``.
    Raises :class:`~bolashaq.rules.ProfileError` for invalid input or when no rule set is in force.
    """
    p = profile if isinstance(profile, Profile) else parse_profile(profile, today=today)
    book = rules if rules is not None else load_rule_sets()
    try:
        if rule_set is None:
            rs = book.select(p.programme, p.date)
        elif isinstance(rule_set, str):
            rs = book.get(rule_set)
        else:
            rs = rule_set
    except NoRuleSetError as e:
        raise ProfileError(str(e)) from None
    c = _Ctx(p, rs, book.messages)
    track = rs.track(p.programme, p.category)
    if track is None:
        reqs = [_category_problem(rs, p, c)]
        res = Result(
            verdict=NOT_ELIGIBLE,
            rule_set=rs,
            profile=p,
            track=None,
            requirements=reqs,
            language_level=None,
            what_if=[],
        )
        if what_if:
            from .whatif import suggest

            res.what_if = suggest(res, p, rs, c, None)
        return res
    cache: dict[str, RequirementResult] = {}
    reqs = evaluate_track(track, c, cache)
    verdict = verdict_of(r.status for r in reqs)
    res = Result(
        verdict=verdict,
        rule_set=rs,
        profile=p,
        track=track,
        requirements=reqs,
        language_level=c.lang_level if track.has_language else None,
        what_if=[],
    )
    if what_if and verdict == NOT_ELIGIBLE:
        from .whatif import suggest

        res.what_if = suggest(res, p, rs, c, cache)
    return res
