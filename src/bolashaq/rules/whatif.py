"""What-if: the smallest changes that would turn a not-eligible profile eligible.

Each suggestion is structured data plus kk/ru/en ``text``:

* ``type: "change"`` — one field must change (``field``, ``from``, ``to``); ``patch`` is the
  deep-merge into the profile JSON that makes it (lists are replaced whole). Applying the patches
  of every ``change`` entry together leaves no requirement unmet. Where any one of several
  changes suffices (foreign-language tests) the others are listed in ``alternatives``.
* ``type: "switch_category"`` — the same profile is eligible in another category of the same
  programme; when the profile's category is not offered at all, every offered category is
  listed with the verdict the profile would get there (fewest unmet first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .engine import (
    _CHECKS,
    _ISO,
    ELIGIBLE,
    INCOMPLETE,
    MET,
    UNMET,
    _bound,
    _day,
    _outcomes,
    _validity,
    verdict_of,
)
from .models import BLOCKS, MONTH_FIELDS, LanguageCertificate, Profile

if TYPE_CHECKING:
    from .engine import Outcome, Result, _Ctx
    from .messages import Arg, MessageCatalog
    from .ruleset import RequirementDef, RuleSet, Track

__all__ = ["apply_patch", "suggest"]

_NAMES = {
    "ielts": "IELTS",
    "ielts_indicator": "IELTS Indicator",
    "toefl_ibt": "TOEFL iBT",
    "toefl_pbt": "TOEFL PBT",
    "toefl_itp": "TOEFL ITP",
    "det": "DET",
}


def apply_patch(profile: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``patch`` into a copy of the profile JSON (lists are replaced)."""
    out = dict(profile)
    for k, v in patch.items():
        cur = out.get(k)
        if isinstance(v, Mapping) and isinstance(cur, Mapping):
            out[k] = apply_patch(cur, v)
        else:
            out[k] = v
    return out


def _nest(path: str, value: Any) -> dict[str, Any]:
    if "." in path:
        a, b = path.split(".", 1)
        return {a: _nest(b, value)}
    return {path: value}


#: non-zero float -> its text in a suggestion (zeros are not memoised: 0.0 and -0.0 are equal
#: keys but read differently)
_S_FLOAT: dict[float, str] = {}


def _s(x: Any) -> str:
    """A number as a suggestion shows it: 12.0 as "12" (from 10 up), 6.0 as "6.0", 6 as "6"."""
    if type(x) is float:
        t = _S_FLOAT.get(x)
        if t is None:
            t = str(int(x)) if x.is_integer() and abs(x) >= 10 else str(x)
            if x:
                if len(_S_FLOAT) >= 100_000:
                    _S_FLOAT.clear()
                _S_FLOAT[x] = t
        return t
    if type(x) is int:
        return str(x)
    if x is None:
        return "—"
    if isinstance(x, float) and x.is_integer() and abs(x) >= 10:
        return str(int(x))
    return str(x)


class _Texts:
    """The what-if messages not tied to one requirement, compiled once per catalogue."""

    __slots__ = ("blocks", "gpa", "kaztest", "kaztest_block", "new_cert", "renew", "score")

    def __init__(self, catalog: MessageCatalog) -> None:
        b = catalog.bound
        self.score = b("whatif.score", ("test", "from", "to"))
        self.renew = b("whatif.renew", ("test", "to", "date", "valid_until"))
        self.new_cert = b("whatif.new_certificate", ("options",))
        self.kaztest = b("whatif.kaztest", ("from", "to", "max"))
        self.kaztest_block = b("whatif.kaztest_block", ("block", "from", "to"))
        self.gpa = b("whatif.gpa", ("from", "to", "scale"))
        self.blocks = {x: catalog.text("block." + x) for x in BLOCKS}


def _remember(memo: dict[Any, Any], key: Any, text: dict[str, str]) -> dict[str, str]:
    """Keep ``text`` in a requirement's memo of texts (bounded) and return it.

    What-if texts are memoised per requirement by the profile values they show (with their
    type: 27 and 27.0 read differently); the requirement fixes the rest.
    """
    if len(memo) >= 1024:
        memo.clear()
    memo[key] = text
    return text


def _texts(catalog: MessageCatalog) -> _Texts:
    t = catalog.memo.get("whatif")
    if t is None:
        t = catalog.memo["whatif"] = _Texts(catalog)
    return t


def _month_field(field: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """(outer, name, fields that may not be below it) for a dotted month field; each of the
    latter as (attribute, dotted path)."""
    outer, name = field.split(".", 1)
    below: tuple[str, ...] = ()
    if outer == "experience":
        # keep continuous <= field <= total
        if name == "field_continuous_months":
            below = ("field_months", "total_months")
        elif name == "field_months":
            below = ("total_months",)
    return outer, name, tuple((f, "experience." + f) for f in below)


_MONTH_FIELDS = {f: _month_field(f) for f in MONTH_FIELDS}

#: A fix: appends the suggestions for one unmet requirement to ``out``.
_Fix = Callable[
    ["_Ctx", "Outcome", "RequirementDef", Mapping[str, float], list[dict[str, Any]]],
    None,
]


def _fix_months(
    c: _Ctx,
    o: Outcome,
    req: RequirementDef,
    targets: Mapping[str, float],
    out: list[dict[str, Any]],
) -> None:
    field = req.field
    to = req.minimum
    if field is None or to is None:
        return
    outer, name, below = _MONTH_FIELDS.get(field) or _month_field(field)
    have = o[3]
    old = have.get(name) if type(have) is dict else have
    inner: dict[str, Any] = {name: to}
    if below:
        # also against the other raises suggested
        exp = c.profile.experience
        if exp is not None:
            for f, path in below:
                cur = getattr(exp, f)
                if cur is not None:
                    t = targets.get(path, 0.0)
                    want = t if t > to else to  # max(to, t)
                    if cur < want:
                        inner[f] = want
    cat = c.catalog
    key = ("whatif.months", cat, old, type(old))
    text = req.texts.get(key)
    if text is None:
        text = _remember(
            req.texts, key, _bound(req, "whatif.months", cat).render((_s(old), _s(to)))
        )
    out.append(
        {
            "type": "change",
            "requirement": o[0].id,
            "field": field,
            "from": old,
            "to": to,
            "patch": {outer: inner},
            "text": text,
        }
    )


def _fix_language(
    c: _Ctx,
    o: Outcome,
    req: RequirementDef,
    targets: Mapping[str, float],
    out: list[dict[str, Any]],
) -> None:
    p = c.profile
    mins = req.lang_minimums
    on = p.date
    certs = p.foreign_language or ()
    # the accepted certificate closest to its minimum (the first of equals)
    i = -1
    cert: LanguageCertificate | None = None
    gap = 0.0
    for j, x in enumerate(certs):
        m = mins.get(x.test)
        if m is not None:
            g = (m - x.score) / m
            if cert is None or g < gap:
                i, cert, gap = j, x, g
    texts = c.catalog.memo.get("whatif") or _texts(c.catalog)
    today = _ISO.get(on) or _day(on)
    if cert is None:
        test = "ielts" if "ielts" in mins else next(iter(mins))
        out.append(
            {
                "type": "change",
                "requirement": o[0].id,
                "field": "foreign_language",
                "from": None,
                "to": {"test": test, "score": mins[test]},
                "test": test,
                "alternatives": req.lang_alternatives_json[test],
                "patch": {
                    "foreign_language": [
                        *_certs_json(certs),
                        {"test": test, "score": mins[test], "date": today},
                    ]
                },
                "text": texts.new_cert.render((_opt_text(req),)),
            }
        )
        return
    test = cert.test
    score = cert.score
    m = mins[test]
    to = score if score > m else m
    all_have = o[3]
    have = all_have[i] if type(all_have) is list and i < len(all_have) else {}
    stale = have.get("validity", "valid") != "valid"  # expired, not_yet or no_date
    cdate = cert.date
    if len(certs) == 1:
        patch_certs = [
            {
                "test": test,
                "score": to,
                "date": today if stale or cdate is None else _ISO.get(cdate) or _day(cdate),
            }
        ]
    else:
        patch_certs = _certs_json(certs)
        patch_certs[i] = {
            "test": test,
            "score": to,
            "date": today if cdate is None or stale else _day(cdate),
        }
    if stale and score >= m:
        out.append(
            {
                "type": "change",
                "requirement": o[0].id,
                "field": f"foreign_language[{i}].date",
                "from": None if cdate is None else _day(cdate),
                "to": today,
                "test": test,
                "alternatives": req.lang_alternatives_json[test],
                "patch": {"foreign_language": patch_certs},
                "text": texts.renew.render(
                    (_NAMES[test], _s(to), today, have.get("valid_until") or "—")
                ),
            }
        )
        return
    d: dict[str, Any] = {
        "type": "change",
        "requirement": o[0].id,
        "field": f"foreign_language[{i}].score",
        "from": score,
        "to": to,
        "test": test,
        "alternatives": req.lang_alternatives_json[test],
    }
    if stale:
        d["renew"] = True
    d["patch"] = {"foreign_language": patch_certs}
    key = ("whatif.score", texts, test, score, type(score))
    text = req.texts.get(key)
    if text is None:
        text = _remember(req.texts, key, texts.score.render((_NAMES[test], _s(score), _s(to))))
    d["text"] = text
    out.append(d)


def _certs_json(certs: tuple[LanguageCertificate, ...]) -> list[dict[str, Any]]:
    return [
        {"test": x.test, "score": x.score, "date": _day(x.date)}
        if x.date is not None
        else {"test": x.test, "score": x.score}
        for x in certs
    ]


_opt_cache: dict[tuple[str, int], tuple[RequirementDef, str]] = {}


def _opt_text(req: RequirementDef) -> str:
    """'IELTS 5.0, TOEFL iBT 35, …' for a language requirement (memoised per definition)."""
    hit = _opt_cache.get((req.key, id(req)))
    if hit is not None and hit[0] is req:
        return hit[1]
    t = ", ".join(f"{_NAMES[k]} {_s(m)}" for k, m in req.lang_minimums.items())
    _opt_cache[(req.key, id(req))] = (req, t)
    return t


def _kaztest_stale(c: _Ctx) -> bool:
    """The profile's KAZTEST certificate is dated after the profile date or has expired."""
    k = c.profile.kaztest
    if k is None or k.date is None:
        return False
    state = c.kaztest_state or _validity(k.date, c.rs.validity["kaztest"], c.profile.date)[0]
    return state == "expired" or state == "not_yet"


def _renew_kaztest(
    c: _Ctx, o: Outcome, have: Mapping[str, Any], to: str, patch: dict[str, Any]
) -> dict[str, Any]:
    on = _day(c.profile.date)
    return {
        "type": "change",
        "requirement": o[0].id,
        "field": "kaztest.date",
        "from": have.get("date"),
        "to": on,
        "patch": patch,
        "text": _texts(c.catalog).renew.render(("KAZTEST", to, on, have.get("valid_until") or "—")),
    }


def _fix_kaztest_score(
    c: _Ctx,
    o: Outcome,
    req: RequirementDef,
    targets: Mapping[str, float],
    out: list[dict[str, Any]],
) -> None:
    p = c.profile
    k = p.kaztest
    if k is None or k.score is None or req.minimum is None:
        return
    score = k.score
    to = score if score > req.minimum else req.minimum
    kpatch: dict[str, Any] = {"score": to}
    patch = {"kaztest": kpatch}
    have = o[3] if type(o[3]) is dict else {}
    if o[4] == "cert.expired" or o[4] == "cert.not_yet":
        kpatch["date"] = _day(p.date)
        out.append(_renew_kaztest(c, o, have, _s(to), patch))
        return
    if _kaztest_stale(c):
        kpatch["date"] = _day(p.date)
    out.append(
        {
            "type": "change",
            "requirement": o[0].id,
            "field": "kaztest.score",
            "from": score,
            "to": to,
            "patch": patch,
            "text": _texts(c.catalog).kaztest.render((_s(score), _s(to), _s(req.max_score))),
        }
    )


def _fix_kaztest_blocks(
    c: _Ctx,
    o: Outcome,
    req: RequirementDef,
    targets: Mapping[str, float],
    out: list[dict[str, Any]],
) -> None:
    p = c.profile
    k = p.kaztest
    if k is None or k.blocks is None:
        return
    if o[4] == "cert.expired" or o[4] == "cert.not_yet":
        have = o[3] if type(o[3]) is dict else {}
        out.append(_renew_kaztest(c, o, have, "60 %", {"kaztest": {"date": _day(p.date)}}))
        return
    stale: bool | None = None
    given = k.blocks
    texts: _Texts | None = None
    for b, lo, _hi in req.blocks:
        v = given.get(b)
        if v is not None and v < lo:
            if stale is None:
                stale = _kaztest_stale(c)
            if texts is None:
                texts = c.catalog.memo.get("whatif") or _texts(c.catalog)
            kpatch: dict[str, Any] = {"blocks": {b: lo}}
            if stale:  # the new result also has to be valid
                kpatch["date"] = _day(p.date)
            key = ("whatif.block", texts, b, v, type(v))
            text = req.texts.get(key)
            if text is None:
                text = _remember(
                    req.texts, key, texts.kaztest_block.render((texts.blocks[b], _s(v), _s(lo)))
                )
            out.append(
                {
                    "type": "change",
                    "requirement": o[0].id,
                    "field": "kaztest.blocks." + b,
                    "from": v,
                    "to": lo,
                    "patch": {"kaztest": kpatch},
                    "text": text,
                }
            )


def _fix_gpa(
    c: _Ctx,
    o: Outcome,
    req: RequirementDef,
    targets: Mapping[str, float],
    out: list[dict[str, Any]],
) -> None:
    g = c.profile.gpa
    need = o[2]
    if g is None or not isinstance(need, dict) or "min" not in need:
        return
    to = need["min"]
    out.append(
        {
            "type": "change",
            "requirement": o[0].id,
            "field": "gpa.value",
            "from": g.value,
            "to": to,
            "patch": {"gpa": {"value": to}},
            "text": _texts(c.catalog).gpa.render((_s(g.value), _s(to), _s(g.scale))),
        }
    )


def _fix_flag(
    c: _Ctx,
    o: Outcome,
    req: RequirementDef,
    targets: Mapping[str, float],
    out: list[dict[str, Any]],
) -> None:
    if req.field is None:
        return
    out.append(
        {
            "type": "change",
            "requirement": o[0].id,
            "field": req.field,
            "from": o[3],
            "to": True,
            "patch": _nest(req.field, True),
            "text": _bound(req, "whatif.flag", c.catalog).render(()),
        }
    )


#: requirement kind -> its fix
_FIXES: dict[str, _Fix] = {
    "min_months": _fix_months,
    "flag": _fix_flag,
    "foreign_language": _fix_language,
    "kaztest_score": _fix_kaztest_score,
    "kaztest_blocks": _fix_kaztest_blocks,
    "gpa": _fix_gpa,
}


def _eligible_in(track: Track, c: _Ctx, cache: dict[str, Outcome]) -> bool:
    """Whether the profile is eligible in ``track``: cached outcomes first, then the rest in
    order, stopping at the first requirement that is not met."""
    todo = []
    for req in track.requirements:
        o = cache.get(req.key)
        if o is None:
            todo.append(req)
        elif o[1] != MET:
            return False
    for req in todo:
        o = cache[req.key] = _CHECKS[req.kind](req, c)
        if o[1] != MET:
            return False
    return True


def suggest(
    res: Result,
    p: Profile,
    rs: RuleSet,
    c: _Ctx,
    cache: dict[str, Outcome] | None,
    outcomes: list[Outcome],
) -> list[dict[str, Any]]:
    """What-if suggestions for a not-eligible result (see the module docstring); ``outcomes``
    are the result's requirements as the checks gave them."""

    out: list[dict[str, Any]] = []
    failing: list[Outcome] = []
    targets: dict[str, float] = {}
    for o in outcomes:
        if o[1] == UNMET:
            failing.append(o)
            q = o[0]
            if q.kind == "min_months" and q.field and q.minimum:
                t = targets.get(q.field, 0.0)
                targets[q.field] = t if t >= q.minimum else q.minimum
    fixes = _FIXES
    for o in failing:
        q = o[0]
        fix = fixes.get(q.kind)
        if fix is not None:
            fix(c, o, q, targets, out)

    own = res.track
    if own is not None:
        # the profile's category is offered: suggest only the categories (with requirements
        # different from its own) where this very profile is eligible, in rule-set order
        cache = cache if cache is not None else {}
        render = c.catalog.render
        for cat, track in rs.other_categories(own):
            if _eligible_in(track, c, cache):
                out.append(
                    {
                        "type": "switch_category",
                        "category": cat,
                        "verdict": ELIGIBLE,
                        "unmet": [],
                        "patch": {"category": cat},
                        "text": render("whatif.category_eligible", {"category": track.title}),
                    }
                )
        return out
    # the category is not offered: every offered category with the verdict it would give
    cats = rs.programmes.get(p.programme) or {}
    cache = cache if cache is not None else {}
    switches: list[tuple[int, int, dict[str, Any]]] = []
    for order, (cat, track) in enumerate(cats.items()):
        if cat == p.category:
            continue
        alt = _outcomes(track, c, cache)
        unmet = sum(1 for a in alt if a[1] == UNMET)
        v = verdict_of(a[1] for a in alt)
        title = track.title
        args: dict[str, Arg]
        if unmet:
            key, args = "whatif.category_offered", {"category": title, "unmet": str(unmet)}
        elif v == INCOMPLETE:
            key, args = "whatif.category_incomplete", {"category": title}
        else:
            key, args = "whatif.category_eligible", {"category": title}
        switches.append(
            (
                unmet,
                order,
                {
                    "type": "switch_category",
                    "category": cat,
                    "verdict": v,
                    "unmet": [a[0].id for a in alt if a[1] == UNMET],
                    "patch": {"category": cat},
                    "text": c.catalog.render(key, args),
                },
            )
        )
    switches.sort(key=lambda t: (t[0], t[2]["verdict"] != "eligible", t[1]))
    out.extend(s for _, _, s in switches)
    return out
