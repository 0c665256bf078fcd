"""Checks of the motivation letter (2026 internship rules).

The rules: free form, at most 500 words, in Kazakh or Russian, dated and signed at the end.
:func:`check_motivation_letter` applies them to the letter's text and reports problems with
citizen-facing messages in Kazakh, Russian and English. The date and signature checks are
heuristics that help the applicant before submission; an operator still reads the letter.

:func:`extract_pdf_text` gets the text layer of an uploaded PDF; a scanned letter has none and
goes to manual review.
"""

# Kazakh and Russian texts and patterns are Cyrillic by design, not look-alike Latin.

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "MESSAGES",
    "LetterCheck",
    "check_motivation_letter",
    "extract_pdf_text",
]

Language = Literal["kk", "ru", "other"]
Lang = Literal["kk", "ru", "en"]

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "empty": {
        "kk": "Мотивациялық хат бос. Хаттың мәтінін енгізіңіз немесе жүктеңіз.",
        "ru": "Мотивационное письмо пустое. Вставьте или загрузите текст письма.",
        "en": "The motivation letter is empty. Paste or upload the text of the letter.",
    },
    "too_long": {
        "kk": "Мотивациялық хат {max_words} сөзден ұзын ({word_count} сөз). Оны {max_words} "
        "сөзге дейін қысқартыңыз.",
        "ru": "Мотивационное письмо длиннее {max_words} слов ({word_count}). Сократите его до "
        "{max_words} слов.",
        "en": "The motivation letter is longer than {max_words} words ({word_count}). Shorten it "
        "to {max_words} words or fewer.",
    },
    "wrong_language": {
        "kk": "Мотивациялық хат қазақ немесе орыс тілінде жазылуы тиіс.",
        "ru": "Мотивационное письмо должно быть написано на казахском или русском языке.",
        "en": "The motivation letter must be written in Kazakh or Russian.",
    },
    "no_date": {
        "kk": "Хаттың соңында күні табылмады. Мәтіннен кейін күнін жазыңыз (мысалы, 15.03.2026).",
        "ru": "В конце письма не найдена дата. Укажите дату после текста (например, 15.03.2026).",
        "en": "No date was found at the end of the letter. Add the date after the text (for "
        "example, 15.03.2026).",
    },
    "no_signature": {
        "kk": "Хаттың соңында қолы табылмады. Хатқа қол қойып, тегіңіз бен аты-жөніңіздің бас "
        "әріптерін жазыңыз.",
        "ru": "В конце письма не найдена подпись. Подпишите письмо и укажите фамилию и инициалы.",
        "en": "No signature was found at the end of the letter. Sign the letter and add your "
        "surname and initials.",
    },
}

_KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# Share of Kazakh-specific letters among Cyrillic letters from which a text counts as
# Kazakh: Kazakh prose runs at roughly 8-12 %, Russian prose with a few Kazakh names
# (Қазақстан, Әл-Фараби) well under 2 %.
KK_RATE = 0.03
_TAIL_LINES = 6


@dataclass(frozen=True, slots=True)
class LetterCheck:
    """Result of :func:`check_motivation_letter`; ``problems`` are codes from :data:`MESSAGES`."""

    word_count: int
    language: Language
    ends_with_date: bool
    ends_with_signature: bool
    problems: tuple[str, ...]
    max_words: int = 500

    @property
    def ok(self) -> bool:
        return not self.problems

    def messages(self, lang: Lang) -> list[str]:
        return [
            MESSAGES[code][lang].format(max_words=self.max_words, word_count=self.word_count)
            for code in self.problems
        ]


# -- words and language ----------------------------------------------------------------------

_WORD = re.compile(r"\S+")
_HAS_ALNUM = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    """Whitespace-separated tokens that contain a letter or digit (dashes and bullets alone
    do not count), close to what a word processor shows."""
    return sum(1 for token in _WORD.findall(text) if _HAS_ALNUM.search(token))


def detect_language(text: str) -> Language:
    """``"kk"``, ``"ru"`` or ``"other"`` from the letters used (see :data:`KK_RATE`)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "other"
    cyrillic = [c for c in letters if "\u0400" <= c <= "\u04ff"]
    if len(cyrillic) < 0.5 * len(letters):
        return "other"
    kazakh = sum(1 for c in cyrillic if c in _KK_LETTERS)
    return "kk" if kazakh >= KK_RATE * len(cyrillic) else "ru"


# -- date ------------------------------------------------------------------------------------

_RU_MONTHS = (
    "январ", "феврал", "март", "апрел", "ма[йя]", "июн", "июл", "август", "сентябр",
    "октябр", "ноябр", "декабр",
)  # fmt: skip
_KK_MONTHS = (
    "қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек",
    "қазан", "қараша", "желтоқсан",
)  # fmt: skip
_MONTH_ALT = "|".join(f"(?P<m{i}>{stem})" for i, stem in enumerate(_RU_MONTHS + _KK_MONTHS))
_MONTH = rf"(?:{_MONTH_ALT})[а-яәғқңөұүһі]*"

_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)"),
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})\s+{_MONTH}\s+(?P<y>\d{{4}})(?!\d)", re.I),
    re.compile(
        rf"(?<!\d)(?P<y>\d{{4}})\s*(?:ж\.|жыл[а-яәғқңөұүһі]*)?\s*(?P<d>\d{{1,2}})\s+{_MONTH}",
        re.I,
    ),
)
_QUOTES = re.compile(r"[«»\"“”„']")


def _month_number(match: re.Match[str]) -> int:
    raw = match.groupdict().get("m")
    if raw is not None:
        return int(raw)
    for i in range(len(_RU_MONTHS) + len(_KK_MONTHS)):
        if match.group(f"m{i}") is not None:
            return i % 12 + 1
    raise ValueError("no month")  # pragma: no cover - the patterns always capture one


def find_date(line: str) -> date | None:
    """The first real calendar date (years 2000-2099) written on ``line``."""
    text = _QUOTES.sub(" ", line)
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            try:
                found = date(int(match.group("y")), _month_number(match), int(match.group("d")))
            except ValueError:
                continue
            if 2000 <= found.year <= 2099:
                return found
    return None


# -- signature -------------------------------------------------------------------------------

_UP = "А-ЯЁӘҒҚҢӨҰҮҺІA-Z"
_LOW = "а-яёәғқңөұүһіa-z"
_SURNAME = rf"[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)?"
_INITIALS = rf"[{_UP}]\.\s?(?:[{_UP}]\.)?"
_SIGNATURE_PATTERNS = (
    re.compile(r"\b(?:подпись|қолы|қол\s+қойылды|signature|signed)\b", re.I),
    re.compile(rf"/\s*[{_UP}{_LOW}][{_UP}{_LOW}.\s-]{{1,60}}/"),  # /Иванов И.И./
    re.compile(rf"(?:^|\s){_INITIALS}\s?{_SURNAME}\b"),  # А.Н. Ахметова
    re.compile(rf"\b{_SURNAME}\s+{_INITIALS}(?!\w)"),  # Ахметова А.Н.
)
_UNDERSCORES = re.compile(r"_{3,}")
_NAME_WORDS = re.compile(rf"{_SURNAME}(?:\s+{_SURNAME}){{0,2}}")


def _signature_in(lines: list[str]) -> bool:
    for index, line in enumerate(lines):
        if any(p.search(line) for p in _SIGNATURE_PATTERNS):
            return True
        if _UNDERSCORES.search(line):
            # A signature line: underscores with a name on the same or an adjacent line.
            neighbours = [_UNDERSCORES.sub(" ", line)]
            neighbours += lines[max(index - 1, 0) : index] + lines[index + 1 : index + 2]
            if any(_NAME_WORDS.search(n) and not _UNDERSCORES.search(n) for n in neighbours[1:]):
                return True
            if _NAME_WORDS.search(neighbours[0]):
                return True
    return False


def _tail(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-_TAIL_LINES:]


def check_motivation_letter(text: str, *, max_words: int = 500) -> LetterCheck:
    """Check a motivation letter's length, language, closing date and signature.

    The date and the signature must be in the last six non-empty lines. A date is a real date
    written as dd.mm.yyyy, dd/mm/yyyy, yyyy-mm-dd, "15 марта 2026 г.", "«15» марта 2026",
    "15 наурыз 2026 ж." or "2026 жылғы 15 наурыз"; an unfilled «__» ______ 20__ is not. A
    signature is a "Подпись"/"Қолы" label, a /Name/ in slashes, initials with a surname, or a
    line of underscores next to a name.
    """
    words = count_words(text)
    if words == 0:
        return LetterCheck(0, "other", False, False, ("empty",), max_words)
    language = detect_language(text)
    tail = _tail(text)
    dated = any(find_date(line) is not None for line in tail)
    signed = _signature_in(tail)
    problems: list[str] = []
    if words > max_words:
        problems.append("too_long")
    if language == "other":
        problems.append("wrong_language")
    if not dated:
        problems.append("no_date")
    if not signed:
        problems.append("no_signature")
    return LetterCheck(words, language, dated, signed, tuple(problems), max_words)


def extract_pdf_text(data: bytes, *, max_pages: int = 10) -> str | None:
    """The text layer of the first ``max_pages`` pages, or ``None`` when there is none.

    ``None`` means "send to manual review": a scanned letter (images only), and also an
    encrypted or unreadable PDF. Call it only on files that passed
    :func:`bolashaq.lib.documents.inspect_upload`.
    """
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return None
        parts = []
        for index, page in enumerate(reader.pages):
            if index >= max_pages:
                break
            parts.append(page.extract_text() or "")
    except Exception:  # pypdf raises many types on damaged input; all mean "no usable text"
        return None
    text = "\n".join(parts).strip()
    if not any(c.isalpha() for c in text):
        return None
    return text
