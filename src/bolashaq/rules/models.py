"""The applicant profile: parsing, validation and its JSON Schema.

The profile format is a public contract (see docs/concepts/rules.md). A field that is absent
(or null) is *unknown*; a field present with a failing value is *unmet*. Parsing is hand-written
rather than pydantic so that one evaluation stays in the tens of microseconds.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BLOCKS",
    "CATEGORIES",
    "FLAG_FIELDS",
    "LANGUAGE_TESTS",
    "MONTH_FIELDS",
    "PROGRAMMES",
    "Experience",
    "Gpa",
    "Invitation",
    "Kaztest",
    "LanguageCertificate",
    "Profile",
    "ProfileError",
    "Rural",
    "parse_profile",
    "profile_json_schema",
]

PROGRAMMES: tuple[str, ...] = ("master", "residency", "doctorate", "internship")
CATEGORIES: tuple[str, ...] = (
    "general",
    "rural",
    "engineering",
    "medical",
    "civil_service",
    "teachers",
    "higher_education",
    "culture_tourism_sport",
    "media",
    "agro",
    "ai_users",
    "judiciary",
    "nuclear",
)
LANGUAGE_TESTS: tuple[str, ...] = (
    "ielts",
    "ielts_indicator",
    "toefl_ibt",
    "toefl_pbt",
    "toefl_itp",
    "det",
)
BLOCKS: tuple[str, ...] = ("listening", "lexico_grammar", "reading", "writing", "speaking")

#: Boolean profile fields a rule may test (dotted paths).
FLAG_FIELDS: tuple[str, ...] = (
    "invitation.unconditional",
    "invitation.recommended_university",
    "invitation.priority_specialty",
    "related_specialty",
    "production_role",
    "medical_practice",
    "studying_abroad",
)
#: Month-count profile fields a rule may test (dotted paths).
MONTH_FIELDS: tuple[str, ...] = (
    "experience.total_months",
    "experience.field_months",
    "experience.field_continuous_months",
    "rural.residence_months",
    "rural.work_months",
)


class ProfileError(ValueError):
    """The profile is not valid input. ``errors`` lists one readable line per problem."""

    def __init__(self, errors: list[str] | str) -> None:
        self.errors: list[str] = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("invalid profile: " + "; ".join(self.errors))


@dataclass(slots=True)
class Kaztest:
    score: float | None = None
    max: float | None = None
    blocks: Mapping[str, float] | None = None
    date: _dt.date | None = None


@dataclass(slots=True)
class LanguageCertificate:
    test: str
    score: float
    date: _dt.date | None = None


@dataclass(slots=True)
class Gpa:
    value: float
    scale: float


@dataclass(slots=True)
class Invitation:
    unconditional: bool | None = None
    recommended_university: bool | None = None
    priority_specialty: bool | None = None


@dataclass(slots=True)
class Experience:
    total_months: float | None = None
    field_months: float | None = None
    field_continuous_months: float | None = None


@dataclass(slots=True)
class Rural:
    residence_months: float | None = None
    work_months: float | None = None


@dataclass(slots=True)
class Profile:
    """A parsed applicant profile. ``None`` means unknown."""

    date: _dt.date
    programme: str
    category: str
    kaztest: Kaztest | None = None
    foreign_language: tuple[LanguageCertificate, ...] | None = None
    gpa: Gpa | None = None
    invitation: Invitation | None = None
    related_specialty: bool | None = None
    experience: Experience | None = None
    rural: Rural | None = None
    production_role: bool | None = None
    medical_practice: bool | None = None
    studying_abroad: bool | None = None
    id: str | int | None = None
    #: Unknown fields that were ignored (reported in the result, never an error).
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, today: _dt.date | None = None) -> Profile:
        return parse_profile(data, today=today)

    def to_dict(self) -> dict[str, Any]:
        """The profile in its JSON form (unknown fields left out)."""
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["date"] = self.date.isoformat()
        out["programme"] = self.programme
        out["category"] = self.category
        k = self.kaztest
        if k is not None:
            kd: dict[str, Any] = {}
            if k.score is not None:
                kd["score"] = k.score
            if k.max is not None:
                kd["max"] = k.max
            if k.blocks is not None:
                kd["blocks"] = dict(k.blocks)
            if k.date is not None:
                kd["date"] = k.date.isoformat()
            out["kaztest"] = kd
        if self.foreign_language is not None:
            out["foreign_language"] = [
                {
                    "test": c.test,
                    "score": c.score,
                    **({"date": c.date.isoformat()} if c.date else {}),
                }
                for c in self.foreign_language
            ]
        if self.gpa is not None:
            out["gpa"] = {"value": self.gpa.value, "scale": self.gpa.scale}
        for name, obj, fields in (
            (
                "invitation",
                self.invitation,
                ("unconditional", "recommended_university", "priority_specialty"),
            ),
            (
                "experience",
                self.experience,
                ("total_months", "field_months", "field_continuous_months"),
            ),
            ("rural", self.rural, ("residence_months", "work_months")),
        ):
            if obj is not None:
                out[name] = {f: getattr(obj, f) for f in fields if getattr(obj, f) is not None}
        for name in ("related_specialty", "production_role", "medical_practice", "studying_abroad"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        return out


# --------------------------------------------------------------------------- parsing

_TOP_FIELDS = frozenset(
    {
        "id",
        "date",
        "programme",
        "category",
        "kaztest",
        "foreign_language",
        "gpa",
        "invitation",
        "related_specialty",
        "experience",
        "rural",
        "production_role",
        "medical_practice",
        "studying_abroad",
    }
)
_fromiso = _dt.date.fromisoformat
_INF = float("inf")


def _type_name(v: object) -> str:
    return "null" if v is None else type(v).__name__


def _date(v: object, path: str, errors: list[str]) -> _dt.date | None:
    if v is None:
        return None
    if type(v) is str and len(v) == 10 and v[4] == "-":
        try:
            return _fromiso(v)
        except ValueError:
            pass
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        return v
    if isinstance(v, str) and len(v) == 10:
        try:
            return _fromiso(v)
        except ValueError:
            pass
    errors.append(f"{path}: expected an ISO date YYYY-MM-DD, got {v!r}")
    return None


def _num(v: object, path: str, errors: list[str]) -> float | None:
    if v is None:
        return None
    if (type(v) is int or type(v) is float) and 0 <= v < _INF:
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        errors.append(f"{path}: expected a number, got {_type_name(v)} {v!r}")
        return None
    if v != v or v < 0 or v == float("inf"):  # NaN, negative, infinite
        errors.append(f"{path}: expected a non-negative finite number, got {v!r}")
        return None
    return v


def _bool(v: object, path: str, errors: list[str]) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    errors.append(f"{path}: expected true or false, got {_type_name(v)} {v!r}")
    return None


def _obj(
    v: object, path: str, allowed: frozenset[str], errors: list[str], warnings: list[str]
) -> Mapping[str, Any] | None:
    if v is None:
        return None
    if type(v) is dict:
        if allowed.issuperset(v):
            return v
    elif not isinstance(v, Mapping):
        errors.append(f"{path}: expected an object, got {_type_name(v)}")
        return None
    for k in v:
        if k not in allowed:
            warnings.append(
                f"{path}.{k}: unknown field ignored (known: {', '.join(sorted(allowed))})"
            )
    return v


_KAZTEST_FIELDS = frozenset({"score", "max", "blocks", "date"})
_CERT_FIELDS = frozenset({"test", "score", "date"})
_GPA_FIELDS = frozenset({"value", "scale"})
_INV_FIELDS = frozenset({"unconditional", "recommended_university", "priority_specialty"})
_EXP_FIELDS = frozenset({"total_months", "field_months", "field_continuous_months"})
_RURAL_FIELDS = frozenset({"residence_months", "work_months"})
_BLOCK_FIELDS = frozenset(BLOCKS)
_PROGRAMME_SET = frozenset(PROGRAMMES)
_CATEGORY_SET = frozenset(CATEGORIES)
_TEST_SET = frozenset(LANGUAGE_TESTS)


def parse_profile(data: Mapping[str, Any] | Profile, *, today: _dt.date | None = None) -> Profile:
    """Validate ``data`` (the JSON profile) and return a :class:`Profile`.

    ``today`` supplies the evaluation date when the profile has no ``date``.
    Raises :class:`ProfileError` listing every problem found.
    """
    if isinstance(data, Profile):
        return data
    if type(data) is dict:
        p = _parse_plain(data)
        if p is not None:
            return p
    return _parse(data, today)


_NUMBER = frozenset({int, float})

#: ISO date text -> the date, for texts already read (the same few dates recur)
_DATES: dict[str, _dt.date] = {}


def _plain_date(v: object) -> _dt.date | None:
    """``v`` as a date if it is a "YYYY-MM-DD" string (memoised in _DATES), else None."""
    if type(v) is not str or len(v) != 10 or v[4] != "-":
        return None
    try:
        d = _fromiso(v)
    except ValueError:
        return None
    if len(_DATES) >= 100_000:
        _DATES.clear()
    _DATES[v] = d
    return d


def _parse_plain(data: dict[str, Any]) -> Profile | None:
    """The common case, fast: plain JSON types, every value valid, no unknown field.

    Returns None at the first thing out of the ordinary; :func:`_parse` then does the full
    validation (with every error and warning). Whatever this returns, :func:`_parse` would
    return an equal profile. Unknown fields are found by counting: each object must have as
    many keys as known fields with a value (an explicit null also falls back, harmlessly).
    """
    g = data.get
    v = g("date")
    date = _DATES.get(v) if type(v) is str else None
    if date is None:
        date = _plain_date(v)
        if date is None:
            return None
    programme = g("programme")
    category = g("category")
    if type(programme) is not str or programme not in _PROGRAMME_SET:
        return None
    if type(category) is not str or category not in _CATEGORY_SET:
        return None
    pid = g("id")
    if pid is not None and type(pid) is not int and type(pid) is not str:
        return None
    num = _NUMBER

    kaztest = None
    kd = g("kaztest")
    if kd is not None:
        if type(kd) is not dict:
            return None
        blocks = kd.get("blocks")
        score = kd.get("score")
        mx = kd.get("max")
        kdate = kd.get("date")
        if (
            (blocks is not None) + (score is not None) + (mx is not None) + (kdate is not None)
        ) != len(kd):
            return None
        if blocks is not None:
            if type(blocks) is not dict:
                return None
            for b, n in blocks.items():
                if b not in _BLOCK_FIELDS or type(n) not in num or not 0 <= n < _INF:
                    return None
            blocks = dict(blocks)
        if score is not None and (type(score) not in num or not 0 <= score < _INF):
            return None
        if mx is not None:
            if type(mx) not in num or not 0 <= mx < _INF:
                return None
            if score is not None and score > mx:
                return None
        if kdate is not None:
            kday = _DATES.get(kdate) if type(kdate) is str else None
            if kday is None:
                kday = _plain_date(kdate)
                if kday is None:
                    return None
            kdate = kday
        kaztest = Kaztest(score, mx, blocks, kdate)

    fl = None
    fv = g("foreign_language")
    if fv is not None:
        if type(fv) is not list:
            return None
        certs: list[LanguageCertificate] = []
        for cd in fv:
            if type(cd) is not dict:
                return None
            test = cd.get("test")
            value: Any = cd.get("score")
            cdate = cd.get("date")
            if (2 if cdate is None else 3) != len(cd):  # test and score are required
                return None
            if type(test) is not str or test not in _TEST_SET:
                return None
            if type(value) not in num or not 0 <= value < _INF:
                return None
            if cdate is not None:
                cday = _DATES.get(cdate) if type(cdate) is str else None
                if cday is None:
                    cday = _plain_date(cdate)
                    if cday is None:
                        return None
                cdate = cday
            certs.append(LanguageCertificate(test, value, cdate))
        fl = tuple(certs)

    gpa = None
    gd = g("gpa")
    if gd is not None:
        if type(gd) is not dict or len(gd) != 2:
            return None
        gv: Any = gd.get("value")
        gs: Any = gd.get("scale")
        if type(gv) not in num or not 0 <= gv < _INF:
            return None
        if type(gs) not in num or not 0 < gs < _INF or gv > gs:
            return None
        gpa = Gpa(gv, gs)

    invitation = None
    idd = g("invitation")
    if idd is not None:
        if type(idd) is not dict:
            return None
        u = idd.get("unconditional")
        r = idd.get("recommended_university")
        s = idd.get("priority_specialty")
        if (u is not None) + (r is not None) + (s is not None) != len(idd):
            return None
        if not (u is None or u is True or u is False):
            return None
        if not (r is None or r is True or r is False):
            return None
        if not (s is None or s is True or s is False):
            return None
        invitation = Invitation(u, r, s)

    experience = None
    ed = g("experience")
    if ed is not None:
        if type(ed) is not dict:
            return None
        tm = ed.get("total_months")
        fm = ed.get("field_months")
        cm = ed.get("field_continuous_months")
        if (tm is not None) + (fm is not None) + (cm is not None) != len(ed):
            return None
        if tm is not None and (type(tm) not in num or not 0 <= tm < _INF):
            return None
        if fm is not None:
            if type(fm) not in num or not 0 <= fm < _INF:
                return None
            if tm is not None and fm > tm:
                return None
        if cm is not None:
            if type(cm) not in num or not 0 <= cm < _INF:
                return None
            if (fm is not None and cm > fm) or (tm is not None and cm > tm):
                return None
        experience = Experience(tm, fm, cm)

    rural = None
    rd = g("rural")
    if rd is not None:
        if type(rd) is not dict:
            return None
        rm = rd.get("residence_months")
        wm = rd.get("work_months")
        if (rm is not None) + (wm is not None) != len(rd):
            return None
        if rm is not None and (type(rm) not in num or not 0 <= rm < _INF):
            return None
        if wm is not None and (type(wm) not in num or not 0 <= wm < _INF):
            return None
        rural = Rural(rm, wm)

    related = g("related_specialty")
    production = g("production_role")
    medical = g("medical_practice")
    abroad = g("studying_abroad")
    for b in (related, production, medical, abroad):
        if not (b is None or b is True or b is False):
            return None
    # every key is a known field with a value (date, programme and category always have one)
    if (
        3
        + (pid is not None)
        + (kd is not None)
        + (fv is not None)
        + (gd is not None)
        + (idd is not None)
        + (related is not None)
        + (ed is not None)
        + (rd is not None)
        + (production is not None)
        + (medical is not None)
        + (abroad is not None)
    ) != len(data):
        return None
    return Profile(
        date,
        programme,
        category,
        kaztest,
        fl,
        gpa,
        invitation,
        related,
        experience,
        rural,
        production,
        medical,
        abroad,
        pid,
        (),
    )


def _parse(data: Mapping[str, Any], today: _dt.date | None) -> Profile:
    """:func:`parse_profile` in full: every error and warning."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ProfileError(f"profile: expected a JSON object, got {_type_name(data)}")
    errors: list[str] = []
    warnings: list[str] = []
    if not _TOP_FIELDS.issuperset(data):
        warnings.extend(f"{k}: unknown field ignored" for k in data if k not in _TOP_FIELDS)

    g = data.get
    date = _date(g("date"), "date", errors)
    if date is None and g("date") is None:
        if today is None:
            errors.append("date: required (the ISO date the profile is judged on)")
        else:
            date = today
    programme = g("programme")
    if programme is None:
        errors.append("programme: required (" + " | ".join(PROGRAMMES) + ")")
    elif programme not in PROGRAMMES:
        errors.append(
            f"programme: unknown programme {programme!r} (expected one of: {', '.join(PROGRAMMES)})"
        )
    category = g("category")
    if category is None:
        errors.append("category: required (" + " | ".join(CATEGORIES) + ")")
    elif category not in CATEGORIES:
        errors.append(
            f"category: unknown category {category!r} (expected one of: {', '.join(CATEGORIES)})"
        )
    pid = g("id")
    if pid is not None and (isinstance(pid, bool) or not isinstance(pid, (str, int))):
        errors.append(f"id: expected a string or integer, got {_type_name(pid)}")
        pid = None

    kaztest: Kaztest | None = None
    kd = _obj(g("kaztest"), "kaztest", _KAZTEST_FIELDS, errors, warnings)
    if kd is not None:
        blocks: dict[str, float] | None = None
        bd = _obj(kd.get("blocks"), "kaztest.blocks", _BLOCK_FIELDS, errors, warnings)
        if bd is not None:
            blocks = {}
            for b, bv in bd.items():
                n = _num(bv, f"kaztest.blocks.{b}", errors)
                if n is not None and b in _BLOCK_FIELDS:
                    blocks[b] = n
        score = _num(kd.get("score"), "kaztest.score", errors)
        mx = _num(kd.get("max"), "kaztest.max", errors)
        if score is not None and mx is not None and score > mx:
            errors.append(f"kaztest.score: {score} is more than max {mx}")
        kaztest = Kaztest(score, mx, blocks, _date(kd.get("date"), "kaztest.date", errors))

    fl: tuple[LanguageCertificate, ...] | None = None
    fv = g("foreign_language")
    if fv is not None:
        if isinstance(fv, Mapping):
            fv = [fv]  # tolerate a single certificate object
        if not isinstance(fv, (list, tuple)):
            errors.append(
                f"foreign_language: expected a list of certificates, got {_type_name(fv)}"
            )
        else:
            certs: list[LanguageCertificate] = []
            for i, cv in enumerate(fv):
                p = f"foreign_language[{i}]"
                cd = _obj(cv, p, _CERT_FIELDS, errors, warnings)
                if cd is None:
                    if cv is None:
                        errors.append(f"{p}: expected an object, got null")
                    continue
                test = cd.get("test")
                if test not in LANGUAGE_TESTS:
                    errors.append(
                        f"{p}.test: unknown test {test!r} (expected one of: "
                        f"{', '.join(LANGUAGE_TESTS)})"
                    )
                s = _num(cd.get("score"), f"{p}.score", errors)
                if s is None and cd.get("score") is None:
                    errors.append(f"{p}.score: required")
                d = _date(cd.get("date"), f"{p}.date", errors)
                if isinstance(test, str) and s is not None:
                    certs.append(LanguageCertificate(test, s, d))
            fl = tuple(certs)

    gpa: Gpa | None = None
    gd = _obj(g("gpa"), "gpa", _GPA_FIELDS, errors, warnings)
    if gd is not None:
        gv = _num(gd.get("value"), "gpa.value", errors)
        gs = _num(gd.get("scale"), "gpa.scale", errors)
        if gv is None and gd.get("value") is None:
            errors.append("gpa.value: required")
        if gs is None and gd.get("scale") is None:
            errors.append("gpa.scale: required (e.g. 4.0, 4.33, 5.0 or 100)")
        if gv is not None and gs is not None:
            if gs == 0 or gv > gs:
                errors.append(f"gpa: value {gv} does not fit scale {gs}")
            else:
                gpa = Gpa(gv, gs)

    invitation: Invitation | None = None
    idd = _obj(g("invitation"), "invitation", _INV_FIELDS, errors, warnings)
    if idd is not None:
        invitation = Invitation(
            _bool(idd.get("unconditional"), "invitation.unconditional", errors),
            _bool(idd.get("recommended_university"), "invitation.recommended_university", errors),
            _bool(idd.get("priority_specialty"), "invitation.priority_specialty", errors),
        )

    experience: Experience | None = None
    ed = _obj(g("experience"), "experience", _EXP_FIELDS, errors, warnings)
    if ed is not None:
        tm = _num(ed.get("total_months"), "experience.total_months", errors)
        fm = _num(ed.get("field_months"), "experience.field_months", errors)
        cm = _num(ed.get("field_continuous_months"), "experience.field_continuous_months", errors)
        if tm is not None and fm is not None and fm > tm:
            errors.append(f"experience: field_months {fm} is more than total_months {tm}")
        if cm is not None and fm is not None and cm > fm:
            errors.append(
                f"experience: field_continuous_months {cm} is more than field_months {fm}"
            )
        if cm is not None and tm is not None and cm > tm:
            errors.append(
                f"experience: field_continuous_months {cm} is more than total_months {tm}"
            )
        experience = Experience(tm, fm, cm)

    rural: Rural | None = None
    rd = _obj(g("rural"), "rural", _RURAL_FIELDS, errors, warnings)
    if rd is not None:
        rural = Rural(
            _num(rd.get("residence_months"), "rural.residence_months", errors),
            _num(rd.get("work_months"), "rural.work_months", errors),
        )

    related = _bool(g("related_specialty"), "related_specialty", errors)
    production = _bool(g("production_role"), "production_role", errors)
    medical = _bool(g("medical_practice"), "medical_practice", errors)
    abroad = _bool(g("studying_abroad"), "studying_abroad", errors)

    if errors:
        raise ProfileError(errors)
    if date is None or not isinstance(programme, str) or not isinstance(category, str):
        raise ProfileError("date, programme and category are required")  # unreachable: listed above
    return Profile(
        date,
        programme,
        category,
        kaztest,
        fl,
        gpa,
        invitation,
        related,
        experience,
        rural,
        production,
        medical,
        abroad,
        pid,
        tuple(warnings),
    )


# --------------------------------------------------------------------------- schema

_DATE: dict[str, Any] = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_NONNEG: dict[str, Any] = {"type": "number", "minimum": 0}


def _months(desc: str) -> dict[str, Any]:
    return {**_NONNEG, "description": desc}


def profile_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the profile accepted by :func:`evaluate`."""
    bool_or_null: dict[str, Any] = {"type": ["boolean", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://bolashaq.example/schemas/eligibility-profile.json",
        "title": "Bolashak eligibility profile",
        "description": (
            "An applicant profile judged by the Bolashaq rules engine. A field that is absent "
            "or null "
            "is unknown (the requirement becomes 'unknown'); a field present with a failing "
            "value is unmet. "
            "Unknown fields are ignored and reported in the result's 'warnings'."
        ),
        "type": "object",
        "required": ["date", "programme", "category"],
        "properties": {
            "id": {
                "type": ["string", "integer"],
                "description": "Optional identifier echoed in the result.",
            },
            "date": {**_DATE, "description": "The day the profile is judged on (submission day)."},
            "programme": {"enum": list(PROGRAMMES)},
            "category": {
                "enum": list(CATEGORIES),
                "description": "'general' is the open (self-admitted) track of the academic "
                "programmes.",
            },
            "kaztest": {
                "type": "object",
                "description": "KAZTEST result: 2023 rules need score/max (150 questions); "
                "2026 rules need blocks.",
                "properties": {
                    "score": {**_NONNEG, "description": "Correct answers."},
                    "max": {**_NONNEG, "description": "Number of questions (150)."},
                    "blocks": {
                        "type": "object",
                        "properties": dict.fromkeys(BLOCKS, _NONNEG),
                    },
                    "date": {**_DATE, "description": "Issue date of the certificate."},
                },
            },
            "foreign_language": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["test", "score"],
                    "properties": {
                        "test": {"enum": list(LANGUAGE_TESTS)},
                        "score": _NONNEG,
                        "date": {**_DATE, "description": "Test date."},
                    },
                },
            },
            "gpa": {
                "type": "object",
                "required": ["value", "scale"],
                "properties": {
                    "value": _NONNEG,
                    "scale": {
                        **_NONNEG,
                        "description": "The diploma's own scale: 4.0, 4.33, 5.0 or 100 (percent).",
                    },
                },
            },
            "invitation": {
                "type": "object",
                "properties": {
                    "unconditional": bool_or_null,
                    "recommended_university": bool_or_null,
                    "priority_specialty": bool_or_null,
                },
            },
            "related_specialty": bool_or_null,
            "experience": {
                "type": "object",
                "properties": {
                    "total_months": _months("Total work experience in months."),
                    "field_months": _months("Months of experience in the chosen field."),
                    "field_continuous_months": _months(
                        "Unbroken months in the chosen field ending at the profile date."
                    ),
                },
            },
            "rural": {
                "type": "object",
                "properties": {
                    "residence_months": _months("Months of residence in rural settlements."),
                    "work_months": _months("Months of work in rural settlements."),
                },
            },
            "production_role": {
                **bool_or_null,
                "description": "At submission organises/manages production or performs "
                "production work.",
            },
            "medical_practice": {
                **bool_or_null,
                "description": "At submission provides medical care and has higher medical "
                "education.",
            },
            "studying_abroad": {**bool_or_null, "description": "Currently studying abroad."},
        },
    }
