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
    """Message key -> one pre-split template per language."""

    def __init__(self, templates: Mapping[str, Text]) -> None:
        self._t: dict[str, tuple[Template, Template, Template]] = {
            k: (Template.parse(v[0]), Template.parse(v[1]), Template.parse(v[2]))
            for k, v in templates.items()
        }
        self._texts = dict(templates)

    def __contains__(self, key: object) -> bool:
        return key in self._t

    def keys(self) -> list[str]:
        return list(self._t)

    def text(self, key: str) -> Text:
        """A fixed text (no placeholders) in the three languages."""
        return self._texts[key]

    def render(self, key: str, args: Mapping[str, Arg]) -> dict[str, str]:
        kk, ru, en = self._t[key]
        return {"kk": kk.render(args, 0), "ru": ru.render(args, 1), "en": en.render(args, 2)}

    def fields(self, key: str) -> frozenset[str]:
        kk, ru, en = self._t[key]
        return kk.fields | ru.fields | en.fields
