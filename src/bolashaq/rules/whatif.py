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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .engine import _CHECKS, ELIGIBLE, INCOMPLETE, UNMET, evaluate_track, verdict_of
from .models import LanguageCertificate, Profile

if TYPE_CHECKING:
    from .engine import RequirementResult, Result, _Ctx
    from .messages import Arg
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


def _s(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, float) and x.is_integer() and abs(x) >= 10:
        return str(int(x))
    return str(x)


def _certs_json(certs: tuple[LanguageCertificate, ...]) -> list[dict[str, Any]]:
    return [
        {
            "test": c.test,
            "score": c.score,
            **({"date": c.date.isoformat()} if c.date is not None else {}),
        }
        for c in certs
    ]


def _change(
    c: _Ctx,
    r: RequirementResult,
    field: str,
    old: Any,
    new: Any,
    patch: dict[str, Any],
    msg: str,
    args: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "type": "change",
        "requirement": r.id,
        "field": field,
        "from": old,
        "to": new,
        **extra,
        "patch": patch,
        "text": c.catalog.render(msg, args),
    }
    return d


def _fix_months(
    c: _Ctx, r: RequirementResult, req: RequirementDef, targets: Mapping[str, float]
) -> dict[str, Any] | None:
    p = c.profile
    if req.field is None or req.minimum is None:
        return None
    to = req.minimum
    exp = p.experience
    outer, name = req.field.split(".", 1)
    old = r.have if not isinstance(r.have, dict) else r.have.get(name)
    inner: dict[str, Any] = {name: to}
    if outer == "experience":
        # keep continuous <= field <= total, also against the other raises suggested
        cur: dict[str, float | None] = {
            "total_months": exp.total_months if exp else None,
            "field_months": exp.field_months if exp else None,
        }
        below: tuple[str, ...] = ()
        if name == "field_continuous_months":
            below = ("field_months", "total_months")
        elif name == "field_months":
            below = ("total_months",)
        for f in below:
            want = max(to, targets.get(f"experience.{f}", 0.0))
            have = cur[f]
            if have is not None and have < want:
                inner[f] = want
    args = {"title": req.title, "from": _s(old), "to": _s(to)}
    return _change(c, r, req.field, old, to, {outer: inner}, "whatif.months", args)


_opt_cache: dict[tuple[str, int], str] = {}


def _opt_text(req: RequirementDef) -> str:
    ck = (req.key, id(req))
    t = _opt_cache.get(ck)
    if t is None:
        t = _opt_cache[ck] = ", ".join(f"{_NAMES[k]} {_s(m)}" for k, m in req.lang_minimums.items())
    return t


def _fix_language(c: _Ctx, r: RequirementResult, req: RequirementDef) -> dict[str, Any]:
    p = c.profile
    mins = req.lang_minimums
    on = p.date
    certs = p.foreign_language or ()
    options = [{"test": t, "score": m} for t, m in mins.items()]
    opt_text = _opt_text(req)
    accepted = [(i, x) for i, x in enumerate(certs) if x.test in mins]
    if accepted:
        # the certificate closest to its minimum
        i, cert = min(accepted, key=lambda ix: (mins[ix[1].test] - ix[1].score) / mins[ix[1].test])
        to = max(mins[cert.test], cert.score)
        have = r.have[i] if isinstance(r.have, list) and i < len(r.have) else {}
        stale = have.get("validity") in ("expired", "not_yet", "no_date")
        new_certs = list(certs)
        new_certs[i] = LanguageCertificate(
            cert.test, to, on if stale or cert.date is None else cert.date
        )
        patch = {"foreign_language": _certs_json(tuple(new_certs))}
        alternatives = [o for o in options if o["test"] != cert.test]
        if stale and cert.score >= mins[cert.test]:
            args = {
                "test": _NAMES[cert.test],
                "to": _s(to),
                "date": on.isoformat(),
                "valid_until": have.get("valid_until") or "—",
            }
            return _change(
                c,
                r,
                f"foreign_language[{i}].date",
                _iso_or_none(cert),
                on.isoformat(),
                patch,
                "whatif.renew",
                args,
                test=cert.test,
                alternatives=alternatives,
            )
        args = {"test": _NAMES[cert.test], "from": _s(cert.score), "to": _s(to)}
        extra: dict[str, Any] = {"test": cert.test, "alternatives": alternatives}
        if stale:
            extra["renew"] = True
        return _change(
            c,
            r,
            f"foreign_language[{i}].score",
            cert.score,
            to,
            patch,
            "whatif.score",
            args,
            **extra,
        )
    test = "ielts" if "ielts" in mins else next(iter(mins))
    new = LanguageCertificate(test, mins[test], on)
    patch = {"foreign_language": _certs_json((*certs, new))}
    return _change(
        c,
        r,
        "foreign_language",
        None,
        {"test": test, "score": mins[test]},
        patch,
        "whatif.new_certificate",
        {"options": opt_text},
        test=test,
        alternatives=[o for o in options if o["test"] != test],
    )


def _iso_or_none(cert: LanguageCertificate) -> str | None:
    return None if cert.date is None else cert.date.isoformat()


def _stale(have: Mapping[str, Any], p: Profile) -> bool:
    """The KAZTEST certificate described by ``have`` is not valid on the profile date."""
    on = p.date.isoformat()
    until = have.get("valid_until")
    issued = have.get("date")
    return bool((until and until < on) or (issued and issued > on))


def _fix_kaztest_score(c: _Ctx, r: RequirementResult, req: RequirementDef) -> dict[str, Any] | None:
    p = c.profile
    k = p.kaztest
    if k is None or k.score is None or req.minimum is None:
        return None
    to = max(req.minimum, k.score)
    patch: dict[str, Any] = {"kaztest": {"score": to}}
    have = r.have if isinstance(r.have, dict) else {}
    if _stale(have, p):
        patch["kaztest"]["date"] = p.date.isoformat()
    if r.msg_key in ("cert.expired", "cert.not_yet"):
        patch["kaztest"]["date"] = p.date.isoformat()
        args = {
            "test": "KAZTEST",
            "to": _s(to),
            "date": p.date.isoformat(),
            "valid_until": have.get("valid_until") or "—",
        }
        return _change(
            c, r, "kaztest.date", have.get("date"), p.date.isoformat(), patch, "whatif.renew", args
        )
    args = {"from": _s(k.score), "to": _s(to), "max": _s(req.max_score)}
    return _change(c, r, "kaztest.score", k.score, to, patch, "whatif.kaztest", args)


def _fix_kaztest_blocks(c: _Ctx, r: RequirementResult, req: RequirementDef) -> list[dict[str, Any]]:
    p = c.profile
    k = p.kaztest
    if k is None or k.blocks is None:
        return []
    have = r.have if isinstance(r.have, dict) else {}
    if r.msg_key in ("cert.expired", "cert.not_yet"):
        patch = {"kaztest": {"date": p.date.isoformat()}}
        args = {
            "test": "KAZTEST",
            "to": "60 %",
            "date": p.date.isoformat(),
            "valid_until": have.get("valid_until") or "—",
        }
        return [
            _change(
                c,
                r,
                "kaztest.date",
                have.get("date"),
                p.date.isoformat(),
                patch,
                "whatif.renew",
                args,
            )
        ]
    out = []
    stale = _stale(have, p)
    for b, lo, _hi in req.blocks:
        v = k.blocks.get(b)
        if v is not None and v < lo:
            bpatch: dict[str, Any] = {"kaztest": {"blocks": {b: lo}}}
            if stale:  # the new result also has to be valid
                bpatch["kaztest"]["date"] = p.date.isoformat()
            args = {"block": c.catalog.text("block." + b), "from": _s(v), "to": _s(lo)}
            out.append(
                _change(c, r, f"kaztest.blocks.{b}", v, lo, bpatch, "whatif.kaztest_block", args)
            )
    return out


def _fix_gpa(c: _Ctx, r: RequirementResult, req: RequirementDef) -> dict[str, Any] | None:
    g = c.profile.gpa
    if g is None or not isinstance(r.need, dict) or "min" not in r.need:
        return None
    to = r.need["min"]
    args = {"from": _s(g.value), "to": _s(to), "scale": _s(g.scale)}
    return _change(c, r, "gpa.value", g.value, to, {"gpa": {"value": to}}, "whatif.gpa", args)


def _fix_flag(c: _Ctx, r: RequirementResult, req: RequirementDef) -> dict[str, Any] | None:
    if req.field is None:
        return None
    return _change(
        c, r, req.field, r.have, True, _nest(req.field, True), "whatif.flag", {"title": req.title}
    )


def _hopeless(track: Track, c: _Ctx, cache: dict[str, RequirementResult]) -> bool:
    """True as soon as one requirement of ``track`` is unmet (cached outcomes first)."""
    todo = []
    for req in track.requirements:
        r = cache.get(req.key)
        if r is None:
            todo.append(req)
        elif r.status == UNMET:
            return True
    for req in todo:
        r = cache[req.key] = _CHECKS[req.kind](req, c)
        if r.status == UNMET:
            return True
    return False


def suggest(
    res: Result, p: Profile, rs: RuleSet, c: _Ctx, cache: dict[str, RequirementResult] | None
) -> list[dict[str, Any]]:
    """What-if suggestions for a not-eligible result (see the module docstring)."""

    out: list[dict[str, Any]] = []
    targets: dict[str, float] = {}
    for r in res.requirements:
        q = r.req
        if r.status == UNMET and q is not None and q.kind == "min_months" and q.field and q.minimum:
            targets[q.field] = max(targets.get(q.field, 0.0), q.minimum)
    for r in res.requirements:
        if r.status != UNMET or r.req is None:
            continue
        req = r.req
        kind = req.kind
        if kind == "flag":
            f = _fix_flag(c, r, req)
            if f is not None:
                out.append(f)
        elif kind == "min_months":
            m = _fix_months(c, r, req, targets)
            if m is not None:
                out.append(m)
        elif kind == "foreign_language":
            out.append(_fix_language(c, r, req))
        elif kind == "kaztest_score":
            s = _fix_kaztest_score(c, r, req)
            if s is not None:
                out.append(s)
        elif kind == "kaztest_blocks":
            out.extend(_fix_kaztest_blocks(c, r, req))
        elif kind == "gpa":
            g = _fix_gpa(c, r, req)
            if g is not None:
                out.append(g)

    cats = rs.programmes.get(p.programme) or {}
    offered = res.track is None
    own = None if res.track is None else res.track.signature
    cache = cache if cache is not None else {}
    switches: list[tuple[int, int, dict[str, Any]]] = []
    for order, (cat, track) in enumerate(cats.items()):
        if cat == p.category:
            continue
        if not offered and (track.signature == own or _hopeless(track, c, cache)):
            continue
        alt = evaluate_track(track, c, cache)
        unmet = sum(1 for a in alt if a.status == UNMET)
        v = verdict_of(a.status for a in alt)
        if not offered and v != ELIGIBLE:
            # only a category where this very profile is eligible is worth suggesting
            continue
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
                    "unmet": [a.id for a in alt if a.status == UNMET],
                    "patch": {"category": cat},
                    "text": c.catalog.render(key, args),
                },
            )
        )
    switches.sort(key=lambda t: (t[0], t[2]["verdict"] != "eligible", t[1]))
    out.extend(s for _, _, s in switches)
    return out
