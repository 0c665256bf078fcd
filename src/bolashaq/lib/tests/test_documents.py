from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from bolashaq.lib.documents import (
    MESSAGES,
    PROBLEM_CODES,
    Limits,
    inspect_upload,
    message,
)
from bolashaq.lib.tests import corpus

MB = 1024 * 1024
MAX = 20 * MB


def problems(data: bytes, limits: Limits | None = None) -> tuple[str, ...]:
    return inspect_upload(data, max_bytes=MAX, limits=limits).problems


# -- the good ones ---------------------------------------------------------------------------


def test_valid_minimal_pdf() -> None:
    data = corpus.text_pdf()
    assert len(PdfReader(io.BytesIO(data)).pages) == 1  # the builder writes real PDFs
    result = inspect_upload(data, max_bytes=MAX)
    assert result.ok, result.problems
    assert result.kind == "pdf"
    assert result.page_count == 1
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "build",
    [
        corpus.open_action_view_pdf,
        corpus.string_mentions_javascript_pdf,
        corpus.binary_stream_with_js_bytes_pdf,
        corpus.image_only_pdf,
    ],
)
def test_harmless_pdfs_are_accepted(build: Callable[[], bytes]) -> None:
    result = inspect_upload(build(), max_bytes=MAX)
    assert result.ok, result.problems


def test_valid_png() -> None:
    result = inspect_upload(corpus.png_bytes(width=3, height=2), max_bytes=MAX)
    assert result.ok, result.problems
    assert (result.kind, result.width, result.height) == ("png", 3, 2)


def test_valid_jpeg() -> None:
    result = inspect_upload(corpus.jpeg_bytes(640, 480), max_bytes=MAX)
    assert result.ok, result.problems
    assert (result.kind, result.width, result.height) == ("jpeg", 640, 480)


def test_reads_from_a_stream() -> None:
    data = corpus.text_pdf()
    result = inspect_upload(io.BytesIO(data), max_bytes=MAX)
    assert result.ok
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_type_comes_from_content_not_name() -> None:
    # A PDF may carry up to 1024 bytes of junk before the header; readers accept it.
    assert inspect_upload(b"\r\n" + corpus.text_pdf(), max_bytes=MAX).kind == "pdf"


# -- the hostile corpus ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (corpus.elf_bytes, "elf"),
        (corpus.pe_bytes, "pe"),
        (corpus.zip_bytes, "zip"),
        (corpus.html_bytes, "markup"),
        (corpus.gif_bytes, "gif"),
        (lambda: b"just some text\n", "unknown"),
    ],
)
def test_foreign_files_are_unsupported(build: Callable[[], bytes], expected: str) -> None:
    result = inspect_upload(build(), max_bytes=MAX)
    assert result.problems == ("unsupported_type",)
    assert result.kind is None
    assert result.detected == expected


def test_pdf_header_after_an_executable_prefix_is_a_polyglot() -> None:
    data = corpus.pe_bytes() + b"\n" + corpus.text_pdf()
    result = inspect_upload(data, max_bytes=MAX)
    assert "unsupported_type" in result.problems
    assert result.detected == "pdf+pe"


def test_pdf_zip_polyglot() -> None:
    result = inspect_upload(corpus.polyglot_pdf_zip(), max_bytes=MAX)
    assert "unsupported_type" in result.problems
    assert result.kind == "pdf"


@pytest.mark.parametrize("image", [corpus.png_bytes, corpus.jpeg_bytes])
def test_image_zip_polyglot(image: Callable[[], bytes]) -> None:
    assert "unsupported_type" in problems(image() + corpus.zip_bytes())


def test_empty() -> None:
    assert problems(b"") == ("empty",)
    assert inspect_upload(io.BytesIO(b""), max_bytes=MAX).problems == ("empty",)


def test_too_large_stops_reading() -> None:
    class Endless(io.RawIOBase):
        read_total = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
            b[:] = b"0" * len(b)
            self.read_total += len(b)
            return len(b)

    stream = Endless()
    result = inspect_upload(io.BufferedReader(stream), max_bytes=1000)
    assert result.problems == ("too_large",)
    assert result.sha256 is None
    assert result.size == 1001
    assert stream.read_total < 1000 + 2 * io.DEFAULT_BUFFER_SIZE + 1024 * 1024


def test_oversized_bytes() -> None:
    data = b"%PDF-1.4\n" + b"0" * 2000
    assert inspect_upload(data, max_bytes=2000).problems == ("too_large",)


def test_encrypted() -> None:
    assert "pdf_encrypted" in problems(corpus.encrypted_pdf())


def test_truncated() -> None:
    assert problems(corpus.truncated_pdf()) == ("pdf_broken",)


def test_no_eof_marker() -> None:
    data = corpus.text_pdf().replace(b"%%EOF", b"")
    assert "pdf_broken" in problems(data)


def test_garbage_instead_of_a_pdf_body() -> None:
    assert "pdf_broken" in problems(b"%PDF-1.7\nnot really a pdf\n%%EOF\n")


@pytest.mark.parametrize(
    "build",
    [
        corpus.javascript_pdf,
        corpus.escaped_javascript_pdf,
        corpus.javascript_in_object_stream_pdf,
        lambda: corpus.javascript_in_object_stream_pdf(hex_filter=True),
    ],
)
def test_javascript(build: Callable[[], bytes]) -> None:
    assert "pdf_javascript" in problems(build())


def test_javascript_in_object_stream_is_found_by_the_byte_scan() -> None:
    from bolashaq.lib.documents import _byte_scan

    _, names = _byte_scan(corpus.javascript_in_object_stream_pdf(), Limits())
    assert {"JavaScript", "JS"} <= names


def test_open_action_javascript_is_also_an_automatic_action() -> None:
    assert problems(corpus.javascript_pdf()) == ("pdf_javascript", "pdf_launch")


@pytest.mark.parametrize(
    "build",
    [corpus.launch_pdf, corpus.embedded_file_pdf, corpus.additional_actions_pdf],
)
def test_launch_and_friends(build: Callable[[], bytes]) -> None:
    assert "pdf_launch" in problems(build())


def test_page_bomb() -> None:
    data = corpus.many_pages_pdf(60)
    assert inspect_upload(data, max_bytes=MAX, limits=Limits(max_pages=60)).page_count == 60
    assert problems(data, Limits(max_pages=50)) == ("pdf_bomb",)


def test_decompression_bomb() -> None:
    data = corpus.flate_bomb_pdf(4 * MB)
    assert len(data) < 10_000
    assert problems(data, Limits(max_expanded_bytes=1 * MB)) == ("pdf_bomb",)
    assert problems(data, Limits(max_expansion_ratio=100, ratio_floor_bytes=MB)) == ("pdf_bomb",)
    assert problems(data) == ()


def test_jpeg_without_eoi() -> None:
    assert problems(corpus.jpeg_without_eoi()) == ("image_broken",)


def test_png_bad_crc_and_bad_ihdr() -> None:
    assert problems(corpus.png_bad_crc()) == ("image_broken",)
    assert problems(corpus.png_bad_ihdr()) == ("image_broken",)
    assert problems(corpus.png_bytes()[:-12]) == ("image_broken",)  # no IEND


def test_image_bomb() -> None:
    assert problems(corpus.png_bytes(width=50_000, height=50_000)) == ("image_bomb",)
    assert problems(corpus.jpeg_bytes(65_000, 65_000)) == ("image_bomb",)


# -- messages --------------------------------------------------------------------------------


def test_every_problem_has_three_messages() -> None:
    for code in PROBLEM_CODES:
        assert set(MESSAGES[code]) == {"kk", "ru", "en"}
        for text in MESSAGES[code].values():
            assert text.strip().endswith(".")
    assert message("pdf_encrypted", "ru") == "Файл защищён паролем. Загрузите PDF без пароля."
    assert inspect_upload(b"", max_bytes=MAX).messages("kk") == [MESSAGES["empty"]["kk"]]


# -- robustness ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = inspect_upload(data, max_bytes=MAX)
    assert set(result.problems) <= set(PROBLEM_CODES)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([b"%PDF-1.4\n", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"]), st.binary())
def test_random_bodies_never_raise(head: bytes, body: bytes) -> None:
    result = inspect_upload(head + body, max_bytes=MAX)
    assert set(result.problems) <= set(PROBLEM_CODES)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_pdfs_never_raise(data: st.DataObject) -> None:
    original = bytearray(
        data.draw(
            st.sampled_from(
                [corpus.text_pdf(), corpus.javascript_in_object_stream_pdf(), corpus.launch_pdf()]
            )
        )
    )
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(original) - 1))
        original[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(original)))
    result = inspect_upload(bytes(original[:cut]), max_bytes=MAX)
    assert set(result.problems) <= set(PROBLEM_CODES)
