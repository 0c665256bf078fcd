"""Inspection of uploaded files by their content, never by their name or declared type.

:func:`inspect_upload` reads at most ``max_bytes + 1`` bytes (so memory is bounded by the
upload limit), sniffs the type from magic bytes, and checks the structure:

* PDF (``%PDF-`` within the first 1024 bytes): the file ends with ``%%EOF``; not encrypted;
  no JavaScript, launch actions, embedded files, rich media, additional actions, form
  submission or data import, also when hidden in compressed object streams or spelled with
  ``#xx`` name escapes; page count and decompressed size within limits; parseable by pypdf.
* JPEG (``FF D8 FF``): marker segments walk to an end-of-image marker, with a frame header.
* PNG (8-byte signature): IHDR first and well formed, every chunk CRC correct, IDAT, IEND.
* Anything else (executables, archives, HTML, GIF, ...) is ``unsupported_type``, and so is a
  polyglot: a supported file with a ZIP archive or an executable glued to it.

Nothing in the file is ever executed or rendered. The byte-level PDF scan is done first and
decompression is capped; pypdf only sees files that passed it.

Problem codes have citizen-facing messages in Kazakh, Russian and English in :data:`MESSAGES`.
"""

# Kazakh and Russian messages are Cyrillic by design, not look-alike Latin.

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

__all__ = [
    "MESSAGES",
    "PROBLEM_CODES",
    "Inspection",
    "Kind",
    "Limits",
    "inspect_upload",
    "message",
]

Kind = Literal["pdf", "jpeg", "png"]
Lang = Literal["kk", "ru", "en"]

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "empty": {
        "kk": "Файл бос. Файлды қайта жүктеңіз.",
        "ru": "Файл пустой. Загрузите файл ещё раз.",
        "en": "The file is empty. Please upload it again.",
    },
    "too_large": {
        "kk": "Файл өлшемі рұқсат етілгеннен үлкен. Оны кішірейтіп (мысалы, төменірек "
        "ажыратымдылықпен сканерлеп), қайта жүктеңіз.",
        "ru": "Файл больше допустимого размера. Уменьшите его (например, отсканируйте с "
        "меньшим разрешением) и загрузите снова.",
        "en": "The file is larger than allowed. Make it smaller (for example, scan at a lower "
        "resolution) and upload it again.",
    },
    "unsupported_type": {
        "kk": "Бұл файл түрі қабылданбайды. PDF, JPEG немесе PNG файлын жүктеңіз.",
        "ru": "Этот тип файла не принимается. Загрузите файл PDF, JPEG или PNG.",
        "en": "This type of file is not accepted. Please upload a PDF, JPEG or PNG file.",
    },
    "pdf_encrypted": {
        "kk": "Файл құпиясөзбен қорғалған. Құпиясөзсіз PDF жүктеңіз.",
        "ru": "Файл защищён паролем. Загрузите PDF без пароля.",
        "en": "The file is password-protected. Please upload a PDF without a password.",
    },
    "pdf_broken": {
        "kk": "PDF файлы бүлінген немесе толық жүктелмеген. Құжатты PDF пішімінде қайта "
        "сақтап, жүктеңіз.",
        "ru": "Файл PDF повреждён или загружен не полностью. Сохраните документ в PDF заново "
        "и загрузите его.",
        "en": "The PDF file is damaged or incomplete. Save the document as a PDF again and "
        "upload it.",
    },
    "pdf_javascript": {
        "kk": "PDF ішінде скрипттер (JavaScript) бар, мұндай файл қабылданбайды. Құжатты "
        "«Басып шығару → PDF ретінде сақтау» арқылы қайта сақтап, жүктеңіз.",
        "ru": "PDF содержит скрипты (JavaScript), такой файл не принимается. Сохраните "
        "документ заново через «Печать → Сохранить как PDF» и загрузите его.",
        "en": "The PDF contains scripts (JavaScript), so it cannot be accepted. Save the "
        'document again with "Print → Save as PDF" and upload that file.',
    },
    "pdf_launch": {
        "kk": "PDF ішінде тіркелген файлдар, автоматты әрекеттер немесе толтырылатын "
        "формалар бар. Құжатты «Басып шығару → PDF ретінде сақтау» арқылы қайта сақтап, "
        "жүктеңіз.",
        "ru": "PDF содержит вложенные файлы, автоматические действия или заполняемые формы. "
        "Сохраните документ заново через «Печать → Сохранить как PDF» и загрузите его.",
        "en": "The PDF contains attached files, automatic actions or fillable forms. Save the "
        'document again with "Print → Save as PDF" and upload that file.',
    },
    "pdf_bomb": {
        "kk": "PDF өңдеу үшін тым үлкен (беттер немесе деректер тым көп). Тек қажетті "
        "беттерді жүктеңіз.",
        "ru": "PDF слишком большой для обработки (слишком много страниц или данных). "
        "Загрузите только нужные страницы.",
        "en": "The PDF is too big to process (too many pages or too much data). Please upload "
        "only the pages that are needed.",
    },
    "image_broken": {
        "kk": "Сурет бүлінген немесе толық жүктелмеген. Қайта суретке түсіріп немесе "
        "сканерлеп, жүктеңіз.",
        "ru": "Изображение повреждено или загружено не полностью. Сфотографируйте или "
        "отсканируйте документ заново и загрузите его.",
        "en": "The image is damaged or incomplete. Photograph or scan the document again and "
        "upload it.",
    },
    "image_bomb": {
        "kk": "Суреттің ажыратымдылығы тым жоғары. Оны кішірейтіп, қайта жүктеңіз.",
        "ru": "Слишком большое разрешение изображения. Уменьшите его и загрузите снова.",
        "en": "The image resolution is too high. Make it smaller and upload it again.",
    },
}

PROBLEM_CODES: tuple[str, ...] = tuple(MESSAGES)


def message(code: str, lang: Lang) -> str:
    """The citizen-facing message for a problem code in ``lang`` (kk, ru or en)."""
    return MESSAGES[code][lang]


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits. Defaults suit scanned documents of up to about 20 MB.

    * ``max_pages`` - more pages is ``pdf_bomb``;
    * ``max_expanded_bytes`` - total output of all Flate streams; more is ``pdf_bomb``;
    * ``max_expansion_ratio`` - one stream expanding to more than this times its compressed
      size, once past ``ratio_floor_bytes`` of output, is ``pdf_bomb``;
    * ``max_objects`` - indirect objects walked; more is ``pdf_bomb``;
    * ``max_pixels`` - width x height of an image; more is ``image_bomb``.
    """

    max_pages: int = 300
    max_expanded_bytes: int = 256 * 1024 * 1024
    max_expansion_ratio: int = 1000
    ratio_floor_bytes: int = 16 * 1024 * 1024
    max_objects: int = 100_000
    max_pixels: int = 120_000_000


@dataclass(frozen=True, slots=True)
class Inspection:
    """What :func:`inspect_upload` found.

    ``kind`` is the supported type the content claims to be (``None`` if none); ``detected``
    names what the bytes look like when that helps an operator (``"zip"``, ``"elf"``,
    ``"pdf+zip"``...). ``sha256`` is the hex digest of the whole file, ``None`` when the file
    was too large to read in full (then ``size`` is a lower bound: ``max_bytes + 1``).
    ``problems`` holds codes from :data:`PROBLEM_CODES`, in a stable order; the file is
    acceptable iff it is empty.
    """

    kind: Kind | None
    sha256: str | None
    size: int
    page_count: int | None = None
    problems: tuple[str, ...] = ()
    detected: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def messages(self, lang: Lang) -> list[str]:
        return [message(code, lang) for code in self.problems]


# -- reading -------------------------------------------------------------------------------

_CHUNK = 1024 * 1024


def _read_bounded(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the input (one more shows it is too large)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data[: max_bytes + 1])
    parts: list[bytes] = []
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = data.read(min(_CHUNK, remaining))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


# -- sniffing ------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"

# Magic numbers of things we refuse; used to name them and to spot polyglots.
_FOREIGN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "elf"),
    (b"MZ", "pe"),
    (b"\xfe\xed\xfa\xce", "mach-o"),
    (b"\xfe\xed\xfa\xcf", "mach-o"),
    (b"\xcf\xfa\xed\xfe", "mach-o"),
    (b"\xce\xfa\xed\xfe", "mach-o"),
    (b"\xca\xfe\xba\xbe", "mach-o"),
    (b"#!", "script"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PK\x07\x08", "zip"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"{\\rtf", "rtf"),
)

_MARKUP = re.compile(rb"\s*<(?:!doctype\s+html|html|head|body|script|svg|\?xml|iframe)", re.I)


def _foreign(prefix: bytes) -> str | None:
    for magic, name in _FOREIGN_MAGIC:
        if prefix.startswith(magic):
            return name
    if prefix[4:8] == b"ftyp":
        return "iso-media"  # HEIC, MP4, ...
    if prefix.startswith(b"RIFF") and prefix[8:12] in (b"WEBP", b"AVI ", b"WAVE"):
        return prefix[8:12].decode().strip().lower()
    if _MARKUP.match(prefix.removeprefix(b"\xef\xbb\xbf")[:512]):
        return "markup"
    return None


def _has_zip_directory(buf: bytes) -> bool:
    """True if ``buf`` ends with a ZIP end-of-central-directory record that a ZIP reader
    would accept: the structure used by PDF/ZIP and image/ZIP polyglots."""
    start = max(0, len(buf) - (22 + 65535))
    pos = buf.rfind(b"PK\x05\x06", start)
    while pos != -1:
        if pos + 22 <= len(buf):
            (cd_size, cd_offset, comment_len) = struct.unpack_from("<IIH", buf, pos + 12)
            if pos + 22 + comment_len == len(buf) and cd_offset + cd_size <= pos:
                return True
        pos = buf.rfind(b"PK\x05\x06", start, pos)
    return False


def _trailing_is_foreign(tail: bytes) -> bool:
    stripped = tail.lstrip(b"\x00\t\n\x0c\r ")
    return bool(stripped) and _foreign(stripped[:64]) is not None


# -- entry point -----------------------------------------------------------------------------


def inspect_upload(
    data: bytes | BinaryIO, *, max_bytes: int, limits: Limits | None = None
) -> Inspection:
    """Inspect an uploaded file by content. Never raises for hostile input.

    ``data`` is the whole file or a binary stream positioned at its start; at most
    ``max_bytes + 1`` bytes are read from a stream.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    limits = limits or Limits()
    buf = _read_bounded(data, max_bytes)
    if not buf:
        return Inspection(
            kind=None, sha256=hashlib.sha256(b"").hexdigest(), size=0, problems=("empty",)
        )
    if len(buf) > max_bytes:
        return Inspection(kind=None, sha256=None, size=len(buf), problems=("too_large",))
    digest = hashlib.sha256(buf).hexdigest()
    size = len(buf)

    if buf.startswith(_JPEG_MAGIC):
        return _inspect_jpeg(buf, digest, limits)
    if buf.startswith(_PNG_SIGNATURE):
        return _inspect_png(buf, digest, limits)
    header = buf.find(b"%PDF-", 0, 1024)
    if header != -1:
        return _inspect_pdf(buf, header, digest, limits)
    return Inspection(
        kind=None,
        sha256=digest,
        size=size,
        problems=("unsupported_type",),
        detected=_foreign(buf[:1024]) or "unknown",
    )


def _ordered(problems: set[str]) -> tuple[str, ...]:
    return tuple(code for code in PROBLEM_CODES if code in problems)


# -- JPEG ----------------------------------------------------------------------------------

_SOF_MARKERS = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def _jpeg_end(buf: bytes) -> tuple[int, int, int] | None:
    """(end of EOI, width, height) if the marker structure is sound, else None."""
    n = len(buf)
    pos = 2
    width = height = 0
    have_frame = False
    while pos < n:
        if buf[pos] != 0xFF:
            return None
        while pos < n and buf[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            return None
        marker = buf[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return (pos, width, height) if have_frame else None
        if marker == 0x01 or 0xD0 <= marker <= 0xD7 or marker == 0xD8:
            if marker == 0xD8:
                return None  # a second SOI inside the file
            continue
        if pos + 2 > n:
            return None
        (length,) = struct.unpack_from(">H", buf, pos)
        if length < 2 or pos + length > n:
            return None
        if marker in _SOF_MARKERS:
            if length < 8:
                return None
            height, width = struct.unpack_from(">HH", buf, pos + 3)
            if width == 0:
                return None
            have_frame = True
        pos += length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            if not have_frame:
                return None
            m = _NEXT_MARKER.search(buf, pos)
            if m is None:
                return None
            pos = m.start()
    return None


def _inspect_jpeg(buf: bytes, digest: str, limits: Limits) -> Inspection:
    end = _jpeg_end(buf)
    if end is None:
        return Inspection("jpeg", digest, len(buf), problems=("image_broken",))
    stop, width, height = end
    problems: set[str] = set()
    detected = None
    if _has_zip_directory(buf) or _trailing_is_foreign(buf[stop:]):
        problems.add("unsupported_type")
        detected = "jpeg+polyglot"
    if width * max(height, 1) > limits.max_pixels:
        problems.add("image_bomb")
    return Inspection(
        "jpeg",
        digest,
        len(buf),
        problems=_ordered(problems),
        detected=detected,
        width=width,
        height=height or None,
    )


# -- PNG -----------------------------------------------------------------------------------

_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}


def _png_end(buf: bytes) -> tuple[int, int, int] | None:
    n = len(buf)
    pos = 8
    width = height = 0
    seen_ihdr = seen_idat = False
    while pos + 12 <= n:
        length, ctype = struct.unpack_from(">I4s", buf, pos)
        if length > 0x7FFFFFFF or pos + 12 + length > n or not ctype.isalpha():
            return None
        body = buf[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", buf, pos + 8 + length)
        if zlib.crc32(ctype + body) != crc:
            return None
        if not seen_ihdr:
            if ctype != b"IHDR" or length != 13:
                return None
            width, height, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", body)
            if not (0 < width <= 0x7FFFFFFF and 0 < height <= 0x7FFFFFFF):
                return None
            if depth not in _PNG_DEPTHS.get(colour, set()):
                return None
            if comp != 0 or filt != 0 or interlace not in (0, 1):
                return None
            seen_ihdr = True
        elif ctype == b"IHDR":
            return None
        elif ctype == b"IDAT":
            seen_idat = True
        elif ctype == b"IEND":
            if length != 0 or not seen_idat:
                return None
            return pos + 12, width, height
        pos += 12 + length
    return None


def _inspect_png(buf: bytes, digest: str, limits: Limits) -> Inspection:
    end = _png_end(buf)
    if end is None:
        return Inspection("png", digest, len(buf), problems=("image_broken",))
    stop, width, height = end
    problems: set[str] = set()
    detected = None
    if _has_zip_directory(buf) or _trailing_is_foreign(buf[stop:]):
        problems.add("unsupported_type")
        detected = "png+polyglot"
    if width * height > limits.max_pixels:
        problems.add("image_bomb")
    return Inspection(
        "png",
        digest,
        len(buf),
        problems=_ordered(problems),
        detected=detected,
        width=width,
        height=height,
    )


# -- PDF: byte-level scan ------------------------------------------------------------------

_JS_NAMES = frozenset({"JavaScript", "JS"})
_ACTIVE_NAMES = frozenset(
    {"Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "AA", "SubmitForm", "ImportData"}
)
_OPEN_ACTION_BAD = frozenset(
    {"JavaScript", "Launch", "SubmitForm", "ImportData", "RichMediaExecute", "GoToE"}
)
_FILTER_NAMES = frozenset(
    {
        "FlateDecode", "Fl", "LZWDecode", "LZW", "ASCII85Decode", "A85", "ASCIIHexDecode",
        "AHx", "RunLengthDecode", "RL", "CCITTFaxDecode", "CCF", "JBIG2Decode", "DCTDecode",
        "DCT", "JPXDecode", "Crypt",
    }
)  # fmt: skip

# The next token of interest outside strings and stream data: a comment, a literal string,
# a name, the `obj` keyword (starts a new object) or the `stream` keyword.
_TOKEN = re.compile(rb"[%(/]|(?<![A-Za-z])obj(?![A-Za-z])|(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STRING_SPECIAL = re.compile(rb"[\\()]")
_EOL = re.compile(rb"[\r\n]")


def _decode_name(raw: bytes) -> str:
    decoded = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    return decoded.decode("latin-1")


@dataclass(slots=True)
class _Stream:
    names: frozenset[str]
    data: bytes


@dataclass(slots=True)
class _Scan:
    names: set[str] = field(default_factory=set)
    streams: list[_Stream] = field(default_factory=list)


def _skip_string(buf: bytes, pos: int) -> int:
    """``pos`` is just after ``(``; return the index after the matching ``)``."""
    depth = 1
    while depth:
        m = _STRING_SPECIAL.search(buf, pos)
        if m is None:
            return len(buf)
        char = buf[m.start()]
        pos = m.end()
        if char == 0x5C:  # backslash escapes the next byte
            pos += 1
        elif char == 0x28:
            depth += 1
        else:
            depth -= 1
    return pos


def _scan(buf: bytes, *, with_streams: bool) -> _Scan:
    """Collect every name outside strings, comments and stream data; and each stream's data
    with the names of its dictionary."""
    scan = _Scan()
    current: set[str] = set()
    pos = 0
    n = len(buf)
    while pos < n:
        m = _TOKEN.search(buf, pos)
        if m is None:
            break
        token = m.group()
        if token == b"%":
            eol = _EOL.search(buf, m.end())
            pos = eol.end() if eol else n
        elif token == b"(":
            pos = _skip_string(buf, m.end())
        elif token == b"/":
            name_match = _NAME.match(buf, m.start())
            assert name_match is not None  # noqa: S101 - the pattern always matches a '/'
            name = _decode_name(name_match.group(1))
            scan.names.add(name)
            current.add(name)
            pos = max(name_match.end(), m.start() + 1)
        elif token == b"obj":
            current = set()
            pos = m.end()
        else:  # stream
            end = buf.find(b"endstream", m.end())
            stop = n if end == -1 else end
            if with_streams:
                scan.streams.append(_Stream(frozenset(current), buf[m.end() : stop]))
            current = set()
            pos = n if end == -1 else end + len(b"endstream")
    return scan


class _Bomb(Exception):
    pass


def _inflate(data: bytes, *, keep: bool, budget: list[int], limits: Limits) -> bytes | None:
    """Decompress a Flate stream within the remaining budget; ``None`` if it is not valid
    zlib data (a damaged or encrypted stream: not our concern here)."""
    d = zlib.decompressobj()
    out: list[bytes] = []
    produced = 0
    step = 1024 * 1024
    try:
        pending = data
        while pending and not d.eof:
            piece = d.decompress(pending, step)
            pending = d.unconsumed_tail
            produced += len(piece)
            budget[0] -= len(piece)
            if budget[0] < 0:
                raise _Bomb
            if produced > limits.ratio_floor_bytes and produced > limits.max_expansion_ratio * max(
                len(data), 1
            ):
                raise _Bomb
            if keep:
                out.append(piece)
    except zlib.error:
        return None
    return b"".join(out) if keep else b""


def _byte_scan(buf: bytes, limits: Limits) -> tuple[set[str], set[str]]:
    """Return (problems, names) from the raw bytes and the Flate-compressed object streams."""
    problems: set[str] = set()
    scan = _scan(buf, with_streams=True)
    names = set(scan.names)
    budget = [limits.max_expanded_bytes]
    try:
        for stream in scan.streams:
            filters = stream.names & _FILTER_NAMES
            if filters not in ({"FlateDecode"}, {"Fl"}):
                continue
            is_objstm = "ObjStm" in stream.names
            inflated = _inflate(stream.data, keep=is_objstm, budget=budget, limits=limits)
            if is_objstm and inflated:
                names |= _scan(inflated, with_streams=False).names
    except _Bomb:
        problems.add("pdf_bomb")
    return problems, names


def _name_problems(names: set[str]) -> set[str]:
    problems = set()
    if names & _JS_NAMES:
        problems.add("pdf_javascript")
    if names & _ACTIVE_NAMES:
        problems.add("pdf_launch")
    return problems


# -- PDF: structure via pypdf ------------------------------------------------------------------


def _walk_names(obj: Any, names: set[str], budget: list[int]) -> None:
    """Collect dictionary keys and name values inside one object (not following references)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    stack = [obj]
    while stack:
        item = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise _Bomb
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                names.add(str(key).removeprefix("/"))
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
        elif isinstance(item, NameObject):
            names.add(str(item).removeprefix("/"))


def _iter_object_ids(reader: Any) -> Iterator[tuple[int, int]]:
    for generation, table in reader.xref.items():
        for idnum in table:
            yield idnum, generation
    for idnum in reader.xref_objStm:
        yield idnum, 0


def _count_pages(reader: Any, root: Any, limits: Limits) -> int:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    pages = root.get("/Pages")
    stack = [pages]
    seen: set[tuple[int, int]] = set()
    count = 0
    steps = 0
    while stack:
        node = stack.pop()
        steps += 1
        if steps > limits.max_objects:
            raise _Bomb
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                raise ValueError("page tree has a cycle")
            seen.add(ref)
            node = node.get_object()
        if not isinstance(node, DictionaryObject):
            raise ValueError("page tree node is not a dictionary")
        kids = node.get("/Kids")
        if kids is None or node.get("/Type") == "/Page":
            count += 1
            if count > limits.max_pages:
                raise _Bomb
            continue
        kids = kids.get_object()
        if not isinstance(kids, ArrayObject):
            raise ValueError("/Kids is not an array")
        stack.extend(reversed(kids))
    return count


def _pypdf_checks(buf: bytes, limits: Limits) -> tuple[set[str], set[str], int | None]:
    """(problems, names, page_count) from a pypdf parse of the file."""
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, IndirectObject

    names: set[str] = set()
    problems: set[str] = set()
    try:
        reader = PdfReader(io.BytesIO(buf), strict=False)
        if reader.is_encrypted:
            return {"pdf_encrypted"}, names, None
        root = reader.trailer["/Root"].get_object()
        if not isinstance(root, DictionaryObject):
            raise ValueError("no document catalog")
        pages = _count_pages(reader, root, limits)
        if pages == 0:
            problems.add("pdf_broken")
        open_action = root.get("/OpenAction")
        if open_action is not None:
            action = open_action.get_object()
            if isinstance(action, DictionaryObject) and (
                str(action.get("/S", "")).removeprefix("/") in _OPEN_ACTION_BAD or "/JS" in action
            ):
                problems.add("pdf_launch")
        budget = [limits.max_objects * 50]
        objects = 0
        for idnum, generation in _iter_object_ids(reader):
            objects += 1
            if objects > limits.max_objects:
                raise _Bomb
            try:
                obj = reader.get_object(IndirectObject(idnum, generation, reader))
            except Exception:  # noqa: S112 - a damaged object: the others still count
                continue
            _walk_names(obj, names, budget)
        _walk_names(reader.trailer, names, budget)
    except _Bomb:
        return problems | {"pdf_bomb"}, names, None
    except Exception:  # pypdf raises many types on hostile input; all mean "cannot parse"
        return problems | {"pdf_broken"}, names, None
    return problems, names, pages


def _inspect_pdf(buf: bytes, header: int, digest: str, limits: Limits) -> Inspection:
    problems: set[str] = set()
    detected: str | None = None
    prefix_kind = _foreign(buf[:header]) if header else None
    if prefix_kind is not None or _has_zip_directory(buf):
        problems.add("unsupported_type")
        detected = f"pdf+{prefix_kind or 'zip'}"

    eof = buf.rfind(b"%%EOF")
    if eof == -1:
        problems.add("pdf_broken")
    else:
        tail = buf[eof + 5 :]
        if _trailing_is_foreign(tail):
            problems.add("unsupported_type")
            detected = detected or "pdf+appended"
        elif len(tail.strip(b"\x00\t\n\x0c\r ")) > 1024:
            problems.add("pdf_broken")  # an unfinished update after the last %%EOF

    body = buf[header:]
    scan_problems, names = _byte_scan(body, limits)
    problems |= scan_problems
    if "Encrypt" in names:
        problems.add("pdf_encrypted")
    problems |= _name_problems(names)

    page_count = None
    if not problems & {"pdf_bomb", "pdf_broken", "pdf_encrypted"}:
        parsed, more_names, page_count = _pypdf_checks(buf, limits)
        problems |= parsed | _name_problems(more_names)
    return Inspection(
        "pdf",
        digest,
        len(buf),
        page_count=page_count,
        problems=_ordered(problems),
        detected=detected,
    )
