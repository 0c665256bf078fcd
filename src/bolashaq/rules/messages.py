"""Trilingual message templates, compiled at load to printf-style strings."""

from __future__ import annotations

import operator
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LANGS", "Bound", "MessageCatalog", "Template", "Text"]

LANGS: tuple[str, str, str] = ("kk", "ru", "en")

#: A text in the three languages, in LANGS order.
Text = tuple[str, str, str]
#: A message argument: the same string in every language, or one per language.
Arg = str | Text

_formatter = string.Formatter()


@dataclass(frozen=True, slots=True)
class Template:
    """A template in one language, split into literal and placeholder parts."""

    parts: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[tuple[str, str | None]] = []
        for literal, field, _spec, _conv in _formatter.parse(text):
            parts.append((literal, field if field else None))
        return cls(tuple(parts))

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(f for _, f in self.parts if f)

    def render(self, args: Mapping[str, Arg], lang: int) -> str:
        out: list[str] = []
        for literal, field in self.parts:
            out.append(literal)
            if field is not None:
                v = args.get(field, "")
                out.append(v if isinstance(v, str) else v[lang])
        return "".join(out)


class Bound:
    """A message with some arguments fixed (e.g. a requirement's title), compiled for speed.

    The other arguments are given as a tuple of values in :attr:`names` order, each a string
    or a per-language :data:`Text`. Each language is a printf-style string with positional
    ``%s`` slots (faster than ``str.format`` on Kazakh and Russian text), and rendered texts
    are memoised by the values: most outcomes repeat (the same requirement met with the same
    values), so a batch mostly hits the memo.
    """

    __slots__ = ("_fmts", "_memo", "_picks", "fixed", "key", "names")

    _MEMO_LIMIT = 1024

    def __init__(
        self,
        key: str,
        templates: tuple[Template, Template, Template],
        fixed: Mapping[str, Arg],
        names: tuple[str, ...],
    ) -> None:
        self.key = key
        self.fixed: Mapping[str, Arg] = dict(fixed)
        self.names = names
        fmts: list[str] = []
        picks: list[Callable[[tuple[str, ...]], Any] | None] = []
        for lang, t in enumerate(templates):
            out: list[str] = []
            order: list[int] = []
            for literal, field in t.parts:
                out.append(literal.replace("%", "%%"))
                if field is None:
                    continue
                if field in names:
                    out.append("%s")
                    order.append(names.index(field))
                else:  # a fixed argument, or a missing one (renders empty)
                    v = fixed.get(field, "")
                    out.append((v if isinstance(v, str) else v[lang]).replace("%", "%%"))
            fmts.append("".join(out))
            if not order:
                picks.append(_NO_VALUES)
            elif order == list(range(len(names))):
                picks.append(None)  # the values in their own order
            else:
                picks.append(_pick(order))
        self._fmts = (fmts[0], fmts[1], fmts[2])
        self._picks = (picks[0], picks[1], picks[2])
        self._memo: dict[tuple[Arg, ...], dict[str, str]] = {}

    def text(self, values: tuple[Arg, ...] = ()) -> Text:
        """The message as (kk, ru, en)."""
        d = self.render(values)
        return (d["kk"], d["ru"], d["en"])

    def render(self, values: tuple[Arg, ...] = ()) -> dict[str, str]:
        """The message as a {"kk", "ru", "en"} dict, memoised by ``values``: the same dict is
        returned for the same values, so it is read-only (copy it to change it)."""
        try:
            hit = self._memo.get(values)
        except TypeError:  # an unhashable value: render without the memo
            kk, ru, en = self._format(values)
            return {"kk": kk, "ru": ru, "en": en}
        if hit is None:
            kk, ru, en = self._format(values)
            hit = {"kk": kk, "ru": ru, "en": en}
            if len(self._memo) >= self._MEMO_LIMIT:
                self._memo.clear()
            self._memo[values] = hit
        return hit

    def _format(self, values: tuple[Arg, ...]) -> Text:
        fmts = self._fmts
        picks = self._picks
        out: list[str] = []
        same = all(type(v) is str for v in values)
        for lang in (0, 1, 2):
            vals: tuple[Any, ...] = (
                values if same else tuple(v if isinstance(v, str) else v[lang] for v in values)
            )
            pick = picks[lang]
            out.append(fmts[lang] % (vals if pick is None else pick(vals)))
        return (out[0], out[1], out[2])

    def args(self, values: tuple[Arg, ...]) -> dict[str, Arg]:
        """The arguments as a dict (fixed and given)."""
        return {**self.fixed, **dict(zip(self.names, values, strict=True))}


def _no_values(vals: tuple[str, ...]) -> tuple[()]:
    return ()


_NO_VALUES = _no_values


def _pick(order: list[int]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    if len(order) == 1:
        i = order[0]
        return lambda vals: (vals[i],)
    return operator.itemgetter(*order)


class MessageCatalog:
    """Message key -> one template per language, compiled at load.

    :meth:`bind` compiles a message with some arguments fixed; :meth:`render` formats one
    from a dict of arguments.
    """

    def __init__(self, templates: Mapping[str, Text]) -> None:
        self._t: dict[str, tuple[Template, Template, Template]] = {
            k: (Template.parse(v[0]), Template.parse(v[1]), Template.parse(v[2]))
            for k, v in templates.items()
        }
        self._texts = dict(templates)
        self._bound: dict[tuple[str, tuple[str, ...]], Bound] = {}
        #: texts and compiled messages derived from this catalogue by its users, made once
        self.memo: dict[str, Any] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._t

    def keys(self) -> list[str]:
        return list(self._t)

    def text(self, key: str) -> Text:
        """A fixed text (no placeholders) in the three languages."""
        return self._texts[key]

    def bind(self, key: str, fixed: Mapping[str, Arg], names: tuple[str, ...]) -> Bound:
        """Message ``key`` with the ``fixed`` arguments filled in; ``names`` come at render."""
        return Bound(key, self._t[key], fixed, names)

    def bound(self, key: str, names: tuple[str, ...]) -> Bound:
        """Message ``key`` with the arguments ``names`` (compiled once per catalogue)."""
        b = self._bound.get((key, names))
        if b is None:
            b = self._bound[(key, names)] = Bound(key, self._t[key], {}, names)
        return b

    def render(self, key: str, args: Mapping[str, Arg]) -> dict[str, str]:
        """The message in kk, ru and en (memoised: read-only). A missing argument renders
        empty."""
        return self.bound(key, tuple(args)).render(tuple(args.values()))

    def fields(self, key: str) -> frozenset[str]:
        kk, ru, en = self._t[key]
        return kk.fields | ru.fields | en.fields
