"""Trilingual message templates, pre-split at load so formatting is a join."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LANGS", "MessageCatalog", "Template", "Text"]

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


class MessageCatalog:
    """Message key -> one template per language, pre-split at load.

    Rendered messages are memoised by (key, arguments): most outcomes repeat (the same
    requirement met with the same values), so a batch mostly hits the cache.
    """

    _CACHE_LIMIT = 65536

    def __init__(self, templates: Mapping[str, Text]) -> None:
        self._t: dict[str, tuple[Template, Template, Template]] = {
            k: (Template.parse(v[0]), Template.parse(v[1]), Template.parse(v[2]))
            for k, v in templates.items()
        }
        # str.format strings (literal braces escaped by the parse above)
        self._fmt: dict[str, tuple[str, str, str]] = {
            k: (_to_format(a), _to_format(b), _to_format(c)) for k, (a, b, c) in self._t.items()
        }
        self._texts = dict(templates)
        self._cache: dict[tuple[object, ...], dict[str, str]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._t

    def keys(self) -> list[str]:
        return list(self._t)

    def text(self, key: str) -> Text:
        """A fixed text (no placeholders) in the three languages."""
        return self._texts[key]

    def render(self, key: str, args: Mapping[str, Arg]) -> dict[str, str]:
        """The message in kk, ru and en (a fresh dict)."""
        ck = (key, *args.items())
        try:
            hit = self._cache.get(ck)
        except TypeError:  # unhashable argument: render without the cache
            hit = None
            ck = ()
        if hit is None:
            kk, ru, en = self._fmt[key]
            try:
                if not all(type(v) is str for v in args.values()):
                    raise KeyError
                hit = {
                    "kk": kk.format_map(args),
                    "ru": ru.format_map(args),
                    "en": en.format_map(args),
                }
            except KeyError:
                hit = {
                    "kk": kk.format_map(_Lang(args, 0)),
                    "ru": ru.format_map(_Lang(args, 1)),
                    "en": en.format_map(_Lang(args, 2)),
                }
            if ck:
                if len(self._cache) >= self._CACHE_LIMIT:
                    self._cache.clear()
                self._cache[ck] = hit
        return dict(hit)

    def fields(self, key: str) -> frozenset[str]:
        kk, ru, en = self._t[key]
        return kk.fields | ru.fields | en.fields


class _Lang(dict[str, str]):
    """Arguments seen in one language (a per-language tuple gives its own entry)."""

    def __init__(self, args: Mapping[str, Arg], lang: int) -> None:
        super().__init__((k, v if isinstance(v, str) else v[lang]) for k, v in args.items())

    def __missing__(self, key: str) -> str:
        return ""


def _to_format(t: Template) -> str:
    out: list[str] = []
    for literal, field in t.parts:
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is not None:
            out.append("{" + field + "}")
    return "".join(out)
