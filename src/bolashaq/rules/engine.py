"""Evaluate a profile against the rule set in force: verdict, per-requirement explanation,
language level, documents, post-award terms and what-if suggestions.

Evaluation itself only decides statuses; messages, documents, intake and what-if are built
when first read (``Result.to_dict()`` reads them all), so a batch that needs only verdicts
stays fast while the JSON output is always complete.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, TypeVar

from .loader import _DEFAULT, load_rule_sets
from .messages import Arg, Bound, MessageCatalog, Text
from .models import (
    BLOCKS,
    LanguageCertificate,
    Profile,
    ProfileError,
    _parse,
    _parse_plain,
    parse_profile,
)
from .ruleset import NoRuleSetError, RequirementDef, RuleBook, RuleSet, Track, add_years

__all__ = [
    "ELIGIBLE",
    "INCOMPLETE",
    "MET",
    "NOT_ELIGIBLE",
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
_INF = float("inf")
_LANG_NAMES = {
    "ielts": "IELTS",
    "ielts_indicator": "IELTS Indicator",
    "toefl_ibt": "TOEFL iBT",
    "toefl_pbt": "TOEFL PBT",
    "toefl_itp": "TOEFL ITP",
    "det": "DET",
    "kaztest": "KAZTEST",
}

Args = dict[str, Arg]
#: A message's variable arguments, in the order of its ``_MESSAGES`` entry (or a function that
#: computes them when the message is first read).
Values = tuple[Arg, ...]
LazyValues = Values | Callable[[], Values]
#: What a check gives: (definition, status, need, have, message key, message values). A
#: :class:`Result` keeps these and makes :class:`RequirementResult` objects only when its
#: ``requirements`` are read: building the JSON or the what-if needs none.
Outcome = tuple["RequirementDef", str, Any, Any, str, LazyValues]

# Message key -> (arguments fixed per requirement, arguments that vary with the profile).
# The fixed ones are filled in once per requirement (see _bound); the others are the
# ``Values`` a check gives.
_MESSAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "flag.met": (("title",), ()),
    "flag.unmet": (("title",), ()),
    "flag.unknown": (("title",), ()),
    "months.met": (("title", "need"), ("have",)),
    "months.unmet": (("title", "need"), ("have",)),
    "months.unknown": (("title", "need"), ()),
    "months.unknown_continuous": (("title", "need"), ("have",)),
    "kaztest.met": (("title", "need", "max"), ("have", "valid_until")),
    "kaztest.unmet": (("title", "need", "max"), ("have",)),
    "kaztest.missing": (("title", "need", "max"), ()),
    "kaztest.blocks_only": (("title", "need", "max"), ()),
    "kaztest.other_scale": (("title", "need", "max"), ("have", "given_max")),
    "blocks.met": (("title",), ("have", "valid_until")),
    "blocks.unmet": (("title",), ("failed",)),
    "blocks.missing_blocks": (("title", "need"), ("missing",)),
    "blocks.missing": (("title", "need"), ()),
    "blocks.score_only": (("title", "need"), ("have",)),
    "blocks.over_max": (("title",), ("over",)),
    "cert.expired": (("title",), ("cert", "valid_until", "expired_on", "date")),
    "cert.not_yet": (("title",), ("cert", "valid_until", "expired_on", "date")),
    "cert.no_date": (("title",), ("cert", "valid_until", "expired_on", "date")),
    "lang.met": (("title",), ("cert", "level")),
    "lang.unmet": (("title", "need"), ("have",)),
    "lang.missing": (("title", "need"), ()),
    "gpa.met": (("title",), ("have", "scale", "need")),
    "gpa.unmet": (("title",), ("have", "scale", "need")),
    "gpa.missing": (("title", "need"), ()),
    "gpa.manual_review": (("title", "need"), ("have", "scale")),
    "gpa.other_scale": (("title", "need"), ("have", "scale")),
    "whatif.months": (("title",), ("from", "to")),
    "whatif.flag": (("title",), ()),
}


def _broken() -> RuntimeError:
    """A compiled rule always has the parts its kind needs; anything else is a loader bug."""
    return RuntimeError("compiled requirement is missing a part its kind needs")


def _must(x: _T | None) -> _T:
    if x is None:
        raise _broken()
    return x


#: non-zero float -> str(float): float to text is slow and the same scores recur (floats only:
#: 6 and 6.0 are equal keys but read differently; 0.0 and -0.0 too)
_FLOAT_TEXT: dict[float, str] = {}


def _float_text(x: float) -> str:
    t = _FLOAT_TEXT.get(x)
    if t is None:
        t = str(x)
        if x:
            if len(_FLOAT_TEXT) >= 100_000:
                _FLOAT_TEXT.clear()
            _FLOAT_TEXT[x] = t
    return t


def _num(x: float | None) -> str:
    """Human form of a score: as written (6.0 stays 6.0, 105 stays 105)."""
    if type(x) is float:
        return _FLOAT_TEXT.get(x) or _float_text(x)
    return "—" if x is None else str(x)


#: month counts 0..600 as text (a dict lookup instead of a conversion)
_MONTHS_TEXT: dict[float, str] = {i: str(i) for i in range(601)}


def _months(x: float | None) -> str:
    if x is None:
        return "—"
    t = _MONTHS_TEXT.get(x)
    if t is not None:
        return t
    return str(int(x)) if float(x).is_integer() else str(x)


#: date -> ISO text; the same few dates recur (profile and certificate dates), and
#: ``date.isoformat`` costs several times a dict lookup
_ISO: dict[_dt.date, str] = {}


def _day(d: _dt.date) -> str:
    """``d.isoformat()``, memoised."""
    t = _ISO.get(d)
    if t is None:
        if len(_ISO) >= 100_000:
            _ISO.clear()
        t = _ISO[d] = d.isoformat()
    return t


def _iso(d: _dt.date | None) -> str | None:
    return None if d is None else _ISO.get(d) or _day(d)


def _fixed_arg(req: RequirementDef, name: str, catalog: MessageCatalog) -> Arg:
    """The value of a message argument that depends only on the requirement."""
    if name == "title":
        return req.title
    if name == "max":
        return _num(req.max_score)
    kind = req.kind  # name == "need"
    if kind == "min_months":
        return _months(req.minimum)
    if kind == "kaztest_score":
        return _num(req.minimum)
    if kind == "kaztest_blocks":
        return _block_names(catalog, ((b, f" ≥ {_num(lo)}/{_num(hi)}") for b, lo, hi in req.blocks))
    if kind == "foreign_language":
        return _options_text(req, catalog)
    if kind == "gpa":
        return " / ".join(f"{_num(m)} ({_num(s)})" for s, m in req.gpa_scales)
    raise KeyError(name)


def _bound(req: RequirementDef, key: str, catalog: MessageCatalog) -> Bound:
    """Message ``key`` compiled for ``req`` (its fixed arguments filled in), made once."""
    hit = req.messages.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    fixed_names, names = _MESSAGES[key]
    b = catalog.bind(key, {n: _fixed_arg(req, n, catalog) for n in fixed_names}, names)
    req.messages[key] = (catalog, b)
    return b


class RequirementResult:
    """The outcome of one requirement. ``message`` is rendered on first use (kk/ru/en).

    ``values`` are the message's variable arguments (see ``_MESSAGES``), or a function giving
    them; for an outcome without a requirement definition (``req`` None) the arguments dict.
    """

    __slots__ = (
        "_catalog",
        "_message",
        "_source",
        "_values",
        "have",
        "id",
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
        values: LazyValues | Args,
        catalog: MessageCatalog,
        source: Mapping[str, Any] | None = None,
    ) -> None:
        self.req = req
        self.id = rid
        self.status = status
        self.need = need
        self.have = have
        self.msg_key = msg_key
        self._values = values
        self._catalog = catalog
        self._message: dict[str, str] | None = None
        self._source = source

    @property
    def key(self) -> str:
        """The rule-set name of the requirement definition (``id`` is what is reported)."""
        return self.req.key if self.req is not None else self.id

    @property
    def args(self) -> Args:
        """The message arguments by name."""
        v = self._values
        if callable(v):
            v = self._values = v()
        if self.req is None:
            return dict(v) if isinstance(v, dict) else {}
        values: Values = v if isinstance(v, tuple) else ()
        return _bound(self.req, self.msg_key, self._catalog).args(values)

    @property
    def source(self) -> Mapping[str, Any]:
        if self.req is not None:
            return self.req.source_dict
        return self._source or {}

    @property
    def title(self) -> Text | None:
        return self.req.title if self.req is not None else None

    @property
    def message(self) -> dict[str, str]:
        """{"kk", "ru", "en"}; memoised and shared with other results: read-only."""
        m = self._message
        if m is None:
            m = self._message = self._render()
        return m

    def _render(self) -> dict[str, str]:
        v = self._values
        if type(v) is not tuple and callable(v):
            v = self._values = v()
        req = self.req
        if req is None:
            return self._catalog.render(self.msg_key, v if isinstance(v, dict) else {})
        key = self.msg_key
        hit = req.messages.get(key)
        b = (
            hit[1]
            if hit is not None and hit[0] is self._catalog
            else _bound(req, key, self._catalog)
        )
        return b.render(v if type(v) is tuple else ())

    def to_dict(self) -> dict[str, Any]:
        req = self.req
        need = self.need
        m = self._message
        if m is None:
            m = self._message = self._render()
        if req is not None:
            return {
                "id": self.id,
                "status": self.status,
                "need": need,
                "have": self.have,
                "source": req.source_dict,
                "message": m,
                "title": req.title_dict,
            }
        return {
            "id": self.id,
            "status": self.status,
            "need": {**need} if type(need) is dict else need,
            "have": self.have,
            "source": {**(self._source or {})},
            "message": m,
        }

    def __repr__(self) -> str:
        return f"RequirementResult({self.id!r}, {self.status!r}, need={self.need!r})"


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


#: (issue date, years) -> last valid day; certificate dates repeat, so this is a dict lookup
_LAST_DAY: dict[tuple[_dt.date, int], _dt.date] = {}


def _last_day(d: _dt.date, years: int) -> _dt.date:
    """The last valid day of a certificate of ``d`` valid ``years`` (memoised in _LAST_DAY)."""
    until = _LAST_DAY.get((d, years))
    if until is None:
        if len(_LAST_DAY) >= 100_000:
            _LAST_DAY.clear()
        until = _LAST_DAY[(d, years)] = add_years(d, years)
    return until


def _validity(d: _dt.date | None, years: int, on: _dt.date) -> tuple[str, _dt.date | None]:
    """("ok" | "expired" | "not_yet" | "no_date", last valid day). The last day is valid."""
    if d is None:
        return "no_date", None
    until = _LAST_DAY.get((d, years))
    if until is None:
        if len(_LAST_DAY) >= 100_000:
            _LAST_DAY.clear()
        until = _LAST_DAY[(d, years)] = add_years(d, years)
    if d > on:
        return "not_yet", until
    if on > until:
        return "expired", until
    return "ok", until


def _cert_values(cert: str, until: _dt.date | None, on: _dt.date) -> Values:
    """cert, valid_until, expired_on, date (the cert.* messages)."""
    if until is None:
        return (cert, "—", "—", _day(on))
    return (cert, _day(until), _day(until + _ONE_DAY), _day(on))


# --------------------------------------------------------------------------- checks


class _Ctx:
    __slots__ = ("catalog", "kaztest_state", "lang_level", "profile", "rs")

    def __init__(self, profile: Profile, rs: RuleSet, catalog: MessageCatalog) -> None:
        self.profile = profile
        self.rs = rs
        self.catalog = catalog
        self.lang_level: int | None = None
        #: the KAZTEST certificate's validity state, once a check has worked it out
        self.kaztest_state: str | None = None


def _check_flag(req: RequirementDef, c: _Ctx) -> Outcome:
    getter = req.getter
    if getter is None:
        raise _broken()
    v = getter(c.profile)
    if v is True:
        return (req, MET, True, v, "flag.met", ())
    if v is False:
        return (req, UNMET, True, v, "flag.unmet", ())
    return (req, UNKNOWN, True, v, "flag.unknown", ())


def _check_months(req: RequirementDef, c: _Ctx) -> Outcome:
    p = c.profile
    getter = req.getter
    need = req.minimum
    if getter is None or need is None:
        raise _broken()
    v = getter(p)
    if v is None:
        exp = p.experience
        field = req.field
        if exp is not None:
            fm = exp.field_months
            if field == "experience.field_continuous_months" and fm is not None:
                # fewer months in the field than required: they cannot be unbroken either
                have = {"field_months": fm, "field_continuous_months": None}
                if fm + _EPS < need:
                    return (req, UNMET, need, have, "months.unmet", (_months(fm),))
                return (req, UNKNOWN, need, have, "months.unknown_continuous", (_months(fm),))
            cm = exp.field_continuous_months
            if field == "experience.field_months" and cm is not None and cm + _EPS >= need:
                # unbroken months in the field are months in the field
                have = {"field_months": None, "field_continuous_months": cm}
                return (req, MET, need, have, "months.met", (_months(cm),))
        return (req, UNKNOWN, need, None, "months.unknown", ())
    if v + _EPS >= need:
        return (req, MET, need, v, "months.met", (_months(v),))
    return (req, UNMET, need, v, "months.unmet", (_months(v),))


def _date_problem(
    req: RequirementDef,
    c: _Ctx,
    have: Any,
    state: str,
    cert: str,
    until: _dt.date | None,
) -> Outcome:
    on = c.profile.date
    if state == "no_date":
        return (req, UNKNOWN, req.need, have, "cert.no_date", _cert_values(cert, until, on))
    key = "cert.expired" if state == "expired" else "cert.not_yet"
    if state == "expired" and isinstance(have, dict) and until is not None:
        have["expired_on"] = _iso(until + _ONE_DAY)
    return (req, UNMET, req.need, have, key, _cert_values(cert, until, on))


def _check_kaztest_score(req: RequirementDef, c: _Ctx) -> Outcome:
    p = c.profile
    k = p.kaztest
    need_min = req.minimum
    mx = req.max_score
    if need_min is None or mx is None:
        raise _broken()
    need = req.need
    if k is None or k.score is None:
        if k is not None and k.blocks is not None:
            have: Any = {"blocks": dict(k.blocks), "date": _iso(k.date)}
            return (req, UNKNOWN, need, have, "kaztest.blocks_only", ())
        return (req, UNKNOWN, need, None, "kaztest.missing", ())
    score = k.score
    kmax = k.max
    state, until = _validity(k.date, c.rs.validity["kaztest"], p.date)
    c.kaztest_state = state
    have = {
        "score": score,
        "max": kmax if kmax is not None else mx,
        "date": _iso(k.date),
        "valid_until": _iso(until),
    }
    if kmax is not None and abs(kmax - mx) > _EPS:
        return (req, UNKNOWN, need, have, "kaztest.other_scale", (_num(score), _num(kmax)))
    if score + _EPS < need_min:
        return (req, UNMET, need, have, "kaztest.unmet", (_num(score),))
    if state != "ok":
        return _date_problem(req, c, have, state, "KAZTEST", until)
    return (req, MET, need, have, "kaztest.met", (_num(score), _iso(until) or "—"))


def _block_names(catalog: MessageCatalog, items: Iterable[tuple[str, str]]) -> Text:
    """'listening 10/20, …' in each language: the block names with a suffix each."""
    names = catalog.memo.get("blocks")
    if names is None:
        names = catalog.memo["blocks"] = {b: catalog.text("block." + b) for b in BLOCKS}
    pairs = [(names[b], suffix) for b, suffix in items]
    if len(pairs) == 1:
        (kk, ru, en), suffix = pairs[0]
        return (kk + suffix, ru + suffix, en + suffix)
    return (
        ", ".join([n[0] + sfx for n, sfx in pairs]),
        ", ".join([n[1] + sfx for n, sfx in pairs]),
        ", ".join([n[2] + sfx for n, sfx in pairs]),
    )


def _check_kaztest_blocks(req: RequirementDef, c: _Ctx) -> Outcome:
    p = c.profile
    k = p.kaztest
    need = req.need
    cat = c.catalog
    blocks = req.blocks
    if k is None or k.blocks is None:
        if k is not None and k.score is not None:
            score_text = f"{_num(k.score)}/{_num(k.max) if k.max is not None else '?'}"
            have: Any = {"score": k.score, "max": k.max, "date": _iso(k.date)}
            return (req, UNKNOWN, need, have, "blocks.score_only", (score_text,))
        return (req, UNKNOWN, need, None, "blocks.missing", ())
    given = k.blocks
    kd = k.date
    if kd is None:
        state, until = "no_date", None
    else:  # _validity, inlined
        years = c.rs.validity["kaztest"]
        until = _LAST_DAY.get((kd, years)) or _last_day(kd, years)
        on = p.date
        state = "not_yet" if kd > on else "expired" if on > until else "ok"
    c.kaztest_state = state
    have = {
        "blocks": dict(given),
        "date": None if kd is None else _ISO.get(kd) or _day(kd),
        "valid_until": None if until is None else _ISO.get(until) or _day(until),
    }
    failed: list[tuple[str, float, type, float]] = []
    names: list[str] = []
    for b, lo, _hi in blocks:
        v = given.get(b)
        if v is not None and v + _EPS < lo:
            failed.append((b, v, type(v), lo))
            names.append(b)
    if failed:
        have["failed"] = names
        below = tuple(failed)
        return (
            req,
            UNMET,
            need,
            have,
            "blocks.unmet",
            partial(_blocks_values, req, cat, " %s < %s", below),
        )
    over = tuple(
        [
            (b, given[b], type(given[b]), hi)
            for b, _lo, hi in blocks
            if given.get(b, -_INF) > hi + _EPS
        ]
    )
    if over:
        return (
            req,
            UNKNOWN,
            need,
            have,
            "blocks.over_max",
            partial(_blocks_values, req, cat, " %s > %s", over),
        )
    if len(given) < len(blocks):
        missing = [b for b, _lo, _hi in blocks if b not in given]
        have["missing"] = missing
        return (
            req,
            UNKNOWN,
            need,
            have,
            "blocks.missing_blocks",
            partial(_missing_blocks_values, cat, missing),
        )
    if state != "ok":
        return _date_problem(req, c, have, state, "KAZTEST", until)
    return (req, MET, need, have, "blocks.met", partial(_blocks_met_values, req, cat, given, until))


def _blocks_values(
    req: RequirementDef,
    catalog: MessageCatalog,
    form: str,
    items: tuple[tuple[str, float, type, float], ...],
) -> Values:
    return (_blocks_text(req, catalog, form, items),)


def _missing_blocks_values(catalog: MessageCatalog, missing: list[str]) -> Values:
    return (_block_names(catalog, ((b, "") for b in missing)),)


def _blocks_met_values(
    req: RequirementDef, catalog: MessageCatalog, given: Mapping[str, float], until: _dt.date | None
) -> Values:
    items = tuple([(b, given[b], type(given[b]), hi) for b, _lo, hi in req.blocks])
    return (_blocks_text(req, catalog, " %s/%s", items), _iso(until) or "—")


def _blocks_text(
    req: RequirementDef,
    catalog: MessageCatalog,
    form: str,
    items: tuple[tuple[str, float, type, float], ...],
) -> Text:
    """'writing 27 < 30, …' in each language: each block's name with ``form`` filled in with
    its two numbers. Memoised per requirement by the numbers (and the type of the profile's:
    27 and 27.0 read differently)."""
    memo = req.texts
    key = (catalog, form, items)
    t = memo.get(key)
    if t is None:
        t = _block_names(catalog, ((b, form % (_num(x), _num(y))) for b, x, _tx, y in items))
        if len(memo) >= 1024:
            memo.clear()
        memo[key] = t
    return t


#: (test, score, score is a float, date) -> the certificate's label; few recur in a stream of
#: different profiles, so the memo is kept small
_LABELS: dict[tuple[str, float, bool, _dt.date | None], str] = {}
_LABELS_LIMIT = 4096


def _label(cert: LanguageCertificate) -> str:
    """:func:`_cert_label`, memoised."""
    score = cert.score
    key = (cert.test, score, type(score) is float, cert.date)
    t = _LABELS.get(key)
    if t is None:
        if len(_LABELS) >= _LABELS_LIMIT:
            _LABELS.clear()
        t = _LABELS[key] = _cert_label(cert)
    return t


def _cert_label(cert: LanguageCertificate) -> str:
    name = _LANG_NAMES.get(cert.test, cert.test)
    if cert.date is not None:
        return f"{name} {_num(cert.score)} ({_day(cert.date)})"
    return f"{name} {_num(cert.score)}"


def _options_text(req: RequirementDef, catalog: MessageCatalog) -> Text:
    """'IELTS 6.0 or TOEFL iBT 60 or …' in each language."""
    w = catalog.text("word.or")
    items = [f"{_LANG_NAMES[k]} {_num(v)}" for k, v in req.lang_minimums.items()]
    return (f" {w[0]} ".join(items), f" {w[1]} ".join(items), f" {w[2]} ".join(items))


def _lang_met_values(cert: LanguageCertificate, level: int) -> Values:
    return (_label(cert), str(level))


def _lang_unmet_values(certs: Iterable[LanguageCertificate]) -> Values:
    return (", ".join([_label(x) for x in certs]),)


def _check_language(req: RequirementDef, c: _Ctx) -> Outcome:
    p = c.profile
    table = req.table
    if table is None:
        raise _broken()
    need = req.need
    certs = p.foreign_language
    if not certs:
        return (
            req,
            UNKNOWN if certs is None else UNMET,
            need,
            None if certs is None else [],
            "lang.missing",
            (),
        )
    validity = c.rs.validity
    on = p.date
    accepted = req.lang_minimums
    best: int | None = None
    best_cert: LanguageCertificate | None = None
    undated: LanguageCertificate | None = None
    stale: tuple[LanguageCertificate, str, _dt.date | None] | None = None
    have: list[dict[str, Any]] = []
    min_level = req.min_level
    levels = table.levels
    for cert in certs:
        test = cert.test
        score = cert.score
        cd = cert.date
        level = None  # table.level_of, inlined
        for lvl, scores in levels:
            m = scores.get(test)
            if m is not None and score >= m:
                level = lvl
                break
        years = validity.get(test)
        if years is None:
            state, until = "ok", None
        elif cd is None:
            state, until = "no_date", None
        else:  # _validity, inlined
            until = _LAST_DAY.get((cd, years)) or _last_day(cd, years)
            state = "not_yet" if cd > on else "expired" if on > until else "ok"
        have.append(
            {
                "test": test,
                "score": score,
                "date": None if cd is None else _ISO.get(cd) or _day(cd),
                "valid_until": None if until is None else _ISO.get(until) or _day(until),
                "validity": "valid" if state == "ok" else state,
                "level": level,
                "accepted": test in accepted,
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
        return (req, MET, need, have, "lang.met", partial(_lang_met_values, _must(best_cert), best))
    if undated is not None:
        return (req, UNKNOWN, need, have, "cert.no_date", _cert_values(_label(undated), None, on))
    if stale is not None:
        cert, state, until = stale
        return (
            req,
            UNMET,
            need,
            have,
            "cert.expired" if state == "expired" else "cert.not_yet",
            _cert_values(_label(cert), until, on),
        )
    return (req, UNMET, need, have, "lang.unmet", partial(_lang_unmet_values, certs))


def _check_gpa(req: RequirementDef, c: _Ctx) -> Outcome:
    g = c.profile.gpa
    if g is None:
        return (req, UNKNOWN, req.need, None, "gpa.missing", ())
    have = {"value": g.value, "scale": g.scale}
    for s, m in req.gpa_scales:
        if abs(s - g.scale) < 1e-6:
            need = {"min": m, "scale": s}
            values = (_num(g.value), _num(g.scale), _num(m))
            if g.value + _EPS >= m:
                return (req, MET, need, have, "gpa.met", values)
            return (req, UNMET, need, have, "gpa.unmet", values)
    key = "gpa.other_scale"
    for s in req.manual_review_scales:
        if abs(s - g.scale) < 1e-6:
            key = "gpa.manual_review"
    return (req, UNKNOWN, req.need, have, key, (_num(g.value), _num(g.scale)))


_CHECKS: dict[str, Callable[[RequirementDef, _Ctx], Outcome]] = {
    "flag": _check_flag,
    "min_months": _check_months,
    "kaztest_score": _check_kaztest_score,
    "kaztest_blocks": _check_kaztest_blocks,
    "foreign_language": _check_language,
    "gpa": _check_gpa,
}


def _outcomes(track: Track, c: _Ctx, cache: dict[str, Outcome] | None = None) -> list[Outcome]:
    """Run every requirement of ``track``; ``cache`` shares outcomes of the same definition."""
    checks = _CHECKS
    if cache is None:
        return [checks[req.kind](req, c) for req in track.requirements]
    out: list[Outcome] = []
    for req in track.requirements:
        o = cache.get(req.key)
        if o is None:
            o = cache[req.key] = checks[req.kind](req, c)
        out.append(o)
    return out


def _requirement_result(o: Outcome, catalog: MessageCatalog) -> RequirementResult:
    req = o[0]
    return RequirementResult(req, req.id, o[1], o[2], o[3], o[4], o[5], catalog)


def evaluate_track(
    track: Track, c: _Ctx, cache: dict[str, Outcome] | None = None
) -> list[RequirementResult]:
    """Run every requirement of ``track``; ``cache`` shares outcomes of the same definition."""
    return [_requirement_result(o, c.catalog) for o in _outcomes(track, c, cache)]


# --------------------------------------------------------------------------- result


class Result:
    """The outcome of one evaluation. :meth:`to_dict` gives the JSON output.

    ``documents``, ``post_award``, ``intake`` and ``what_if`` are computed on first access.
    The dict :meth:`to_dict` returns and the lists directly in it are fresh; everything inside
    them (titles, sources, fixed ``need`` objects, messages, document entries, post-award
    terms, intake, what-if alternatives and texts) may be shared with the compiled rule
    set and with other results: read-only (``copy.deepcopy`` it to change it).
    """

    __slots__ = (
        "_cache",
        "_ctx",
        "_documents",
        "_intake",
        "_outcomes",
        "_requirements",
        "_what_if",
        "_with_what_if",
        "category",
        "date",
        "id",
        "language_level",
        "profile",
        "programme",
        "rule_set",
        "track",
        "verdict",
    )

    def __init__(
        self,
        verdict: str,
        rule_set: RuleSet,
        profile: Profile,
        track: Track | None,
        outcomes: list[Outcome],
        language_level: int | None,
        ctx: _Ctx,
        cache: dict[str, Outcome] | None,
        with_what_if: bool = True,
        requirements: list[RequirementResult] | None = None,
    ) -> None:
        self.verdict = verdict
        self.rule_set = rule_set
        self.profile = profile
        self.id = profile.id
        self.date = profile.date
        self.programme = profile.programme
        self.category = profile.category
        self.track = track
        self._outcomes = outcomes
        self._requirements = requirements
        self.language_level = language_level
        self._ctx = ctx
        self._cache = cache
        self._with_what_if = with_what_if
        self._documents: list[Mapping[str, Any]] | None = None
        self._intake: dict[str, Any] | None = None
        self._what_if: list[dict[str, Any]] | None = None

    @property
    def requirements(self) -> list[RequirementResult]:
        """Each requirement's outcome, in the track's order (made on first access)."""
        r = self._requirements
        if r is None:
            cat = self._ctx.catalog
            r = self._requirements = [_requirement_result(o, cat) for o in self._outcomes]
        return r

    @property
    def eligible(self) -> bool:
        return self.verdict == ELIGIBLE

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.profile.warnings

    @property
    def documents(self) -> list[Mapping[str, Any]]:
        """The documents this applicant submits: [{"id", "title": {kk, ru, en}}].

        The list is the caller's; its items are shared with the rule set (read-only).
        """
        d = self._documents
        if d is None:
            t = self.track
            if t is None:
                d = []
            elif t.static_documents is not None:
                d = list(t.static_documents)
            else:
                p = self.profile
                d = [
                    x.json for x in t.documents if x.when_getter is None or x.when_getter(p) is True
                ]
            self._documents = d
        return d

    @property
    def post_award(self) -> Mapping[str, Any] | None:
        return None if self.track is None else self.track.post_award

    @property
    def intake(self) -> dict[str, Any] | None:
        """Whether the profile date falls in an intake window (information only)."""
        if self._intake is None and self.rule_set.windows:
            self._intake = self.rule_set.intake(self.date)
        return self._intake

    @property
    def what_if(self) -> list[dict[str, Any]]:
        """Smallest changes to become eligible (only for not-eligible results)."""
        w = self._what_if
        if w is None:
            if self.verdict == NOT_ELIGIBLE and self._with_what_if:
                w = (_SUGGEST or _suggest())[0](
                    self, self.profile, self.rule_set, self._ctx, self._cache, self._outcomes
                )
            else:
                w = []
            self._what_if = w
        return w

    def requirement(self, rid: str) -> RequirementResult:
        for r in self.requirements:
            if r.id == rid:
                return r
        raise KeyError(rid)

    def to_dict(self) -> dict[str, Any]:
        track = self.track
        # RequirementResult.to_dict from the outcomes, inlined: a result has several
        requirements: list[dict[str, Any]]
        if track is None:
            requirements = [r.to_dict() for r in self.requirements]
        else:
            requirements = []
            cat = self._ctx.catalog
            for req, status, need, have, key, v in self._outcomes:
                if type(v) is not tuple:
                    v = v() if callable(v) else ()
                hit = req.messages.get(key)
                b = hit[1] if hit is not None and hit[0] is cat else _bound(req, key, cat)
                try:  # Bound.render, its memo inlined
                    m = b._memo.get(v)
                except TypeError:  # an unhashable value: render without the memo
                    m = None
                requirements.append(
                    {
                        "id": req.id,
                        "status": status,
                        "need": need,
                        "have": have,
                        "source": req.source_dict,
                        "message": b.render(v) if m is None else m,
                        "title": req.title_dict,
                    }
                )
        # the properties, their common case inlined
        documents = self._documents
        if documents is None:
            if track is not None and track.static_documents is not None:
                documents = self._documents = list(track.static_documents)
            else:
                documents = self.documents
        what_if = self._what_if
        if what_if is None:
            if self.verdict == NOT_ELIGIBLE and self._with_what_if:
                what_if = self.what_if
            else:
                what_if = self._what_if = []
        intake = self._intake
        if intake is None and self.rule_set.windows:
            intake = self._intake = self.rule_set.intake(self.date)
        date = self.date
        pid = self.id
        # one dict display, "id" first when given (adding it in front afterwards would copy)
        d: dict[str, Any] = {
            **({} if pid is None else {"id": pid}),
            "verdict": self.verdict,
            "rule_set": self.rule_set.id,
            "date": _ISO.get(date) or _day(date),
            "programme": self.programme,
            "category": self.category,
            "requirements": requirements,
            "language_level": self.language_level,
            "documents": documents,
            "post_award": None if track is None else track.post_award,
            "what_if": what_if,
            "intake": intake,
        }
        if self.profile.warnings:
            d["warnings"] = list(self.profile.warnings)
        return d

    def __repr__(self) -> str:
        return f"Result({self.verdict!r}, {self.rule_set.id!r}, {self.programme}/{self.category})"


_SUGGEST: list[Callable[..., list[dict[str, Any]]]] = []


def _suggest() -> list[Callable[..., list[dict[str, Any]]]]:
    """[:func:`bolashaq.rules.whatif.suggest`] (imported on first use: it imports this
    module)."""
    if not _SUGGEST:
        from .whatif import suggest

        _SUGGEST.append(suggest)
    return _SUGGEST


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
    ``rule_set`` (an id or a :class:`RuleSet`) forces one. ``today`` fills in a missing
    ``date``. Raises :class:`~bolashaq.rules.ProfileError` for invalid input or when no rule
    set is in force for the programme on that date.
    """
    if type(profile) is dict:
        p = _parse_plain(profile) or _parse(profile, today)
    elif isinstance(profile, Profile):
        p = profile
    else:
        p = parse_profile(profile, today=today)
    book = rules if rules is not None else _DEFAULT[0] if _DEFAULT else load_rule_sets()
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
        return Result(
            NOT_ELIGIBLE,
            rs,
            p,
            None,
            [],
            None,
            c,
            None,
            what_if,
            [_category_problem(rs, p, c)],
        )
    # every requirement of the track (a track names each definition once), shared with
    # what-if through ``cache``
    checks = _CHECKS
    cache: dict[str, Outcome] = {}
    outcomes: list[Outcome] = []
    unmet = unknown = False
    for req in track.requirements:
        o = cache[req.key] = checks[req.kind](req, c)
        outcomes.append(o)
        s = o[1]
        if s == UNMET:
            unmet = True
        elif s == UNKNOWN:
            unknown = True
    verdict = NOT_ELIGIBLE if unmet else INCOMPLETE if unknown else ELIGIBLE
    return Result(
        verdict,
        rs,
        p,
        track,
        outcomes,
        c.lang_level if track.has_language else None,
        c,
        cache,
        what_if,
    )
