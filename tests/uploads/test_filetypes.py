"""The type allowlist judged from content, the name checks and Content-Disposition."""

import io

import pytest

from app.uploads import UploadRejected, check_rename, check_upload, clean_name, content_disposition
from app.uploads.filetypes import sniff
from tests.uploads import samples

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("foto.jpg", samples.jpeg(), "image/jpeg"),
        ("Foto.JPEG", samples.jpeg(), "image/jpeg"),
        ("skiss.png", samples.png(), "image/png"),
        ("anim.gif", samples.gif(), "image/gif"),
        ("bild.webp", samples.webp(), "image/webp"),
        ("iphone.heic", samples.heic(), "image/heic"),
        ("Offert Åhléns.pdf", samples.pdf(), "application/pdf"),
        ("avtal.docx", samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("budget.xlsx", samples.xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("bilder.pptx", samples.pptx(), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("brev.odt", samples.odt(), "application/vnd.oasis.opendocument.text"),
        ("gammal.doc", samples.ole("WordDocument"), "application/msword"),
        ("gammal.xls", samples.ole("Workbook"), "application/vnd.ms-excel"),
        ("gammal.ppt", samples.ole("PowerPoint Document"), "application/vnd.ms-powerpoint"),
        ("anteckning.txt", samples.text(), "text/plain"),
        ("lista.csv", samples.text(), "text/csv"),
        ("ansi.txt", samples.latin1_text(), "text/plain"),
        ("utf16.txt", "Hej Åsa\r\n".encode("utf-16"), "text/plain"),
    ],
)
def test_allowed_files_get_the_type_of_their_content(name, data, content_type):
    stream = io.BytesIO(data)
    checked = check_upload(name, stream, 25 * MB)
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert stream.tell() == 0  # rewound for the store


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("program.exe", samples.exe()),
        ("program.pdf", samples.exe()),  # an executable disguised as a PDF
        ("faktura.pdf", samples.docx()),  # a real document with the wrong extension
        ("bild.jpg", samples.pdf()),
        ("text.pdf", samples.text()),
        ("arkiv.zip", samples.plain_zip()),
        ("arkiv.docx", samples.plain_zip()),  # a zip that is no office document
        ("makro.docx", samples.docx(macros=True)),
        ("makro.docm", samples.docx(macros=True)),
        ("logo.svg", samples.svg()),
        ("logo.txt", samples.svg()),
        ("sida.html", samples.html()),
        ("sida.txt", samples.html()),
        ("installer.doc", samples.ole("SummaryInformation")),  # an OLE file that is no office document (.msi)
        ("gammal.xls", samples.ole("WordDocument")),  # a Word file named as Excel
        ("utan-filandelse", samples.pdf()),
    ],
)
def test_everything_else_is_refused_whatever_its_name(name, data):
    with pytest.raises(UploadRejected) as refused:
        check_upload(name, io.BytesIO(data), 25 * MB)
    assert str(refused.value)


def test_empty_and_oversize_files_are_refused():
    with pytest.raises(UploadRejected, match="tom|empty"):
        check_upload("tom.pdf", io.BytesIO(b""), MB)
    with pytest.raises(UploadRejected, match="MB"):
        check_upload("stor.pdf", io.BytesIO(samples.big_pdf(MB + 1)), MB)
    assert check_upload("lagom.pdf", io.BytesIO(samples.big_pdf(MB)), MB).size == MB


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "mapp/fil.pdf", "/abs.pdf", "..", ".", "",
     "   ", "rad\nbrytning.pdf", "nul\x00.pdf", "tab\t.pdf", "faktura\u202efdp.exe", "del\x7f.pdf",
     "x" * 252 + ".pdf"],
)
def test_path_traversal_and_control_characters_in_names_are_refused(name):
    with pytest.raises(UploadRejected):
        clean_name(name)
    with pytest.raises(UploadRejected):
        check_upload(name, io.BytesIO(samples.pdf()), MB)


def test_names_are_kept_as_typed_in_nfc():
    decomposed = "Offert A\u030ahle\u0301ns.pdf"  # as macOS sends it
    assert clean_name(decomposed) == "Offert Åhléns.pdf"
    assert clean_name("  .hidden.pdf ") == ".hidden.pdf"


def test_a_rename_keeps_an_extension_of_the_type():
    assert check_rename("Avtal 2024.PDF", "application/pdf") == "Avtal 2024.PDF"
    assert check_rename("bild.jpeg", "image/jpeg") == "bild.jpeg"
    for bad in ("avtal.exe", "avtal", "avtal.pdf/..", "a\x00.pdf"):
        with pytest.raises(UploadRejected):
            check_rename(bad, "application/pdf")


def test_sniffing_reads_in_chunks_and_rewinds():
    data = samples.ole("Workbook")
    stream = io.BytesIO(b"\x00" * 3 * MB + data)  # not OLE at the start: not allowed
    assert sniff(stream, "xls") is None and stream.tell() == 0
    big_text = io.BytesIO(b"rad;rad\n" * (MB // 2))
    assert sniff(big_text, "csv").content_type == "text/csv" and big_text.tell() == 0
    binary_late = io.BytesIO(b"text\n" * 300_000 + b"\x00\x01")
    assert sniff(binary_late, "txt") is None


def test_content_disposition_sends_utf8_names_by_rfc_5987():
    assert content_disposition("Offert Åhléns.pdf") == (
        "attachment; filename=\"Offert Ahlens.pdf\"; filename*=UTF-8''Offert%20%C3%85hl%C3%A9ns.pdf"
    )
    inline = content_disposition('bild "1".png', inline=True)
    assert inline.startswith('inline; filename="bild _1_.png"; ')
    assert inline.endswith("filename*=UTF-8''bild%20%221%22.png")
    assert content_disposition("ÅÄÖ.pdf").startswith('attachment; filename="AAO.pdf"; ')
    assert content_disposition("日本.pdf").startswith('attachment; filename=".pdf"')
