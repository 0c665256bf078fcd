"""Message extraction and catalogues without GNU gettext.

``make test`` must run on a machine with only Python, so extraction reads Python sources with
``ast`` and templates with Django's own template parser (the same nodes that render), and
catalogues are written and compiled with polib. English is the source language; Kazakh and
Russian catalogues live in ``src/bolashaq/locale``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

CATALOGUE_LANGUAGES = ("kk", "ru")
DOMAIN = "django"
PLURAL_FORMS = {
    "kk": "nplurals=2; plural=(n!=1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);",
}
NPLURALS = {"kk": 2, "ru": 3}

# function name -> (index of context, index of singular, index of plural)
_CALLS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str | None
    context: str | None
    origin: str

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


def source_root() -> Path:
    return Path(settings.SRC_DIR)


def _python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        parts = set(path.relative_to(root).parts)
        if parts & {"tests", "migrations"}:
            continue
        yield path


def _template_files(root: Path) -> Iterator[Path]:
    yield from sorted(root.rglob("templates/**/*.html"))
    yield from sorted(root.rglob("templates/**/*.txt"))  # plain-text e-mails


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def extract_python(path: Path, root: Path) -> Iterator[Message]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else (func.attr if isinstance(func, ast.Attribute) else None)
        )
        if name not in _CALLS:
            continue
        ctx_i, one_i, many_i = _CALLS[name]
        args = node.args
        needed = max(i for i in (ctx_i, one_i, many_i) if i is not None)
        if len(args) <= needed:
            continue
        msgid = _literal(args[one_i])
        if msgid is None:
            continue
        yield Message(
            msgid=msgid,
            plural=_literal(args[many_i]) if many_i is not None else None,
            context=_literal(args[ctx_i]) if ctx_i is not None else None,
            origin=f"{path.relative_to(root)}:{node.lineno}",
        )


def extract_template(path: Path, root: Path) -> Iterator[Message]:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    template = engine.from_string(path.read_text(encoding="utf-8"))
    origin = str(path.relative_to(root))
    for tnode in template.nodelist.get_nodes_by_type(TranslateNode):
        var = tnode.filter_expression.var
        literal = getattr(var, "literal", None)
        if isinstance(literal, str):
            yield Message(literal, None, _context(tnode), origin)
    for bnode in template.nodelist.get_nodes_by_type(BlockTranslateNode):
        singular, _vars = bnode.render_token_list(bnode.singular)
        plural = bnode.render_token_list(bnode.plural)[0] if bnode.plural else None
        yield Message(singular, plural, _context(bnode), origin)


def _context(node: TranslateNode | BlockTranslateNode) -> str | None:
    expression = node.message_context
    if expression is None:
        return None
    literal = getattr(expression.var, "literal", None)
    return literal if isinstance(literal, str) else None


def extract_all(root: Path | None = None) -> dict[tuple[str | None, str], Message]:
    root = root or source_root()
    found: dict[tuple[str | None, str], Message] = {}
    sources: Iterable[Message] = (
        *(m for p in _python_files(root) for m in extract_python(p, root)),
        *(m for p in _template_files(root) for m in extract_template(p, root)),
    )
    for message in sources:
        found.setdefault(message.key, message)
    return found


def catalogue_path(language: str) -> Path:
    return source_root() / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalogue(language: str) -> polib.POFile:
    path = catalogue_path(language)
    if path.exists():
        return polib.pofile(str(path), wrapwidth=100)
    po = polib.POFile(wrapwidth=100)
    po.metadata = {
        "Project-Id-Version": "bolashaq",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS[language],
    }
    return po


def sync_catalogue(language: str, messages: dict[tuple[str | None, str], Message]) -> list[str]:
    """Add new messages (untranslated), drop vanished ones; return the msgids added."""
    po = load_catalogue(language)
    existing = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    added: list[str] = []
    for key, message in sorted(messages.items(), key=lambda kv: (kv[1].origin, kv[0][1])):
        entry = existing.get(key)
        if entry is None:
            entry = polib.POEntry(msgid=message.msgid, msgctxt=message.context)
            if message.plural is not None:
                entry.msgid_plural = message.plural
                entry.msgstr_plural = dict.fromkeys(range(NPLURALS[language]), "")
            po.append(entry)
            added.append(message.msgid)
        entry.occurrences = [(message.origin, "")]
        if "%(" in message.msgid and "python-format" not in entry.flags:
            entry.flags.append("python-format")
    for key, entry in existing.items():
        if key not in messages:
            po.remove(entry)
    path = catalogue_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return added


def compile_catalogues() -> list[Path]:
    written = []
    for language in CATALOGUE_LANGUAGES:
        po_path = catalogue_path(language)
        if not po_path.exists():
            continue
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def fill_catalogues(translations: dict[str, dict[str, str | list[str]]]) -> dict[str, int]:
    """Write translations into the catalogues: ``{msgid: {"kk": text, "ru": text}}``.

    A plural entry takes a list of forms per language. Entries not in the catalogue (run
    ``sync_catalogues`` first) are ignored; returns how many entries each language received.
    """
    filled: dict[str, int] = {}
    for language in CATALOGUE_LANGUAGES:
        po = load_catalogue(language)
        count = 0
        for entry in po:
            wanted = translations.get(entry.msgid, {}).get(language)
            if wanted is None:
                continue
            if entry.msgid_plural and isinstance(wanted, list):
                entry.msgstr_plural = dict(enumerate(wanted))
            elif isinstance(wanted, str):
                entry.msgstr = wanted
            else:
                continue
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            count += 1
        po.save(str(catalogue_path(language)))
        filled[language] = count
    return filled
