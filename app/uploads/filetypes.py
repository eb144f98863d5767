"""Which files may be uploaded, decided from their content (magic bytes), not their name.

Allowed: images (JPEG, PNG, GIF, WebP, HEIC), PDF, office documents (Word, Excel and
PowerPoint in both the zip-based and the legacy OLE formats, OpenDocument) and plain text.
Everything else, macro-enabled office files and SVG/HTML included, is refused.

`sniff(stream)` reads the stream in chunks (never the whole file in memory), returns the
detected `FileKind` or None, and rewinds the stream.
"""

import codecs
import zipfile
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

CHUNK = 1024 * 1024
HEAD = 8192


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extensions: tuple[str, ...]  # lower case, without the dot; the first is the usual one
    label: str
    inline: bool = False  # shown in the browser by "Preview"


JPEG = FileKind("image/jpeg", ("jpg", "jpeg", "jpe"), "JPEG", inline=True)
PNG = FileKind("image/png", ("png",), "PNG", inline=True)
GIF = FileKind("image/gif", ("gif",), "GIF", inline=True)
WEBP = FileKind("image/webp", ("webp",), "WebP", inline=True)
HEIC = FileKind("image/heic", ("heic", "heif"), "HEIC")
PDF = FileKind("application/pdf", ("pdf",), "PDF", inline=True)
DOCX = FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",), "Word")
XLSX = FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",), "Excel")
PPTX = FileKind("application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",),
                "PowerPoint")
ODT = FileKind("application/vnd.oasis.opendocument.text", ("odt",), "OpenDocument")
ODS = FileKind("application/vnd.oasis.opendocument.spreadsheet", ("ods",), "OpenDocument")
ODP = FileKind("application/vnd.oasis.opendocument.presentation", ("odp",), "OpenDocument")
DOC = FileKind("application/msword", ("doc",), "Word")
XLS = FileKind("application/vnd.ms-excel", ("xls",), "Excel")
PPT = FileKind("application/vnd.ms-powerpoint", ("ppt",), "PowerPoint")
TEXT = FileKind("text/plain", ("txt", "text", "log", "md"), "Text")
CSV = FileKind("text/csv", ("csv",), "CSV")

KINDS = (JPEG, PNG, GIF, WEBP, HEIC, PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS, PPT, TEXT, CSV)
BY_CONTENT_TYPE = {k.content_type: k for k in KINDS}
TEXT_LABEL = _l("Text")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# Stream names inside an OLE compound file (UTF-16LE in its directory), most specific first.
OLE_STREAMS = (
    (DOC, ("WordDocument",)),
    (PPT, ("PowerPoint Document",)),
    (XLS, ("Workbook", "Book")),
)
ODF_TYPES = {ODT.content_type: ODT, ODS.content_type: ODS, ODP.content_type: ODP}
OOXML_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))
# Control characters that never occur in text files (tab, newlines, form feed and ^Z do).
_BINARY_BYTES = bytes(sorted(set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1A})) + b"\x7f"
_PRINTABLE = bytes(b for b in range(256) if b not in _BINARY_BYTES)
MARKUP_STARTS = (b"<?xml", b"<!doctype", b"<html", b"<svg", b"<script", b"<head", b"<body", b"<iframe", b"<!--")


class MacrosRefused(Exception):
    """An office document with macros (docm/xlsm/pptm or a vbaProject part)."""


def kind_label(content_type: str) -> str:
    kind = BY_CONTENT_TYPE.get(content_type)
    if kind is None:
        return content_type
    return str(TEXT_LABEL) if kind is TEXT else kind.label


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""


def _zip_kind(stream) -> FileKind | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100:
                    kind = ODF_TYPES.get(archive.read("mimetype").decode("ascii", "replace").strip())
                    if kind is not None:
                        return kind
            if "[Content_Types].xml" not in names:
                return None
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise MacrosRefused()
            for part, kind in OOXML_PARTS:
                if part in names:
                    return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, RuntimeError, EOFError, ValueError):
        return None
    return None


def _ole_kinds(stream, preferred: FileKind | None) -> FileKind | None:
    """The legacy office kind of an OLE compound file, found by its stream names."""
    wanted = {kind: [n.encode("utf-16-le") for n in names] for kind, names in OLE_STREAMS}
    longest = max(len(n) for names in wanted.values() for n in names)
    found = set()
    tail = b""
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        window = tail + chunk
        for kind, names in wanted.items():
            if kind not in found and any(n in window for n in names):
                found.add(kind)
        tail = window[-longest:]
    if preferred in found:
        return preferred
    return next((kind for kind, _names in OLE_STREAMS if kind in found), None)


def _is_text(stream, head: bytes) -> bool:
    """No binary control bytes; UTF-8, UTF-16 with a BOM, or a one-byte (Latin-1/cp1252) text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")()
        while chunk := stream.read(CHUNK):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
            if any(ord(c) < 0x20 and c not in "\t\n\f\r\x1a" or c == "\x7f" for c in text):
                return False
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
        return True
    while chunk := stream.read(CHUNK):
        if chunk.translate(None, _PRINTABLE):  # anything left is a binary control byte
            return False
    return True


def _head_kind(head: bytes) -> FileKind | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return HEIC
    if b"%PDF-" in head[:1024]:
        return PDF
    return None


def sniff(stream, extension: str = "") -> FileKind | None:
    """The kind of the file in `stream` judged by its content, or None when not allowed.

    `extension` only picks between kinds the content allows equally (CSV or plain text;
    which legacy office stream wins). Raises MacrosRefused for macro-enabled office files.
    The stream is rewound afterwards.
    """
    stream.seek(0)
    head = stream.read(HEAD)
    stream.seek(0)
    try:
        kind = _head_kind(head)
        if kind is not None:
            return kind
        if head.startswith(ZIP_MAGIC):
            return _zip_kind(stream)
        if head.startswith(OLE_MAGIC):
            preferred = next((k for k, _n in OLE_STREAMS if extension in k.extensions), None)
            return _ole_kinds(stream, preferred)
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(MARKUP_STARTS):
            return None  # HTML, SVG, XML: markup that a browser might run, never "text"
        if _is_text(stream, head):
            return CSV if extension in CSV.extensions else TEXT
        return None
    finally:
        stream.seek(0)
