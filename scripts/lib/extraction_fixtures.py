#!/usr/bin/env python3
"""Writes the extraction test files into a directory (Python stdlib only, plus `qpdf` for the
encrypted PDF when it is installed). Every file carries known words the tests look for.

usage: extraction_fixtures.py OUTPUT_DIR (scripts/lib/bench_extraction.py imports the builders)
"""
import os
import shutil
import subprocess
import sys
import zipfile
import zlib

OUT = "."


def path(name):
    return os.path.join(OUT, name)


def write_zip(name, parts, first=None):
    """parts: {name: text}; `first` is stored uncompressed first (ODF's mimetype)."""
    with zipfile.ZipFile(path(name), "w", zipfile.ZIP_DEFLATED) as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1], compress_type=zipfile.ZIP_STORED)
        for part, text in parts.items():
            archive.writestr(part, text)


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- OOXML ---------------------------------------------------------------------------------
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def wp(text, style=None):
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{props}<w:r><w:t xml:space="preserve">{esc(text)}</w:t></w:r></w:p>'


P = ('xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
     'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


def slide(title, body):
    return (f'<?xml version="1.0"?><p:sld {P}><p:cSld><p:spTree>'
            f'<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title"/><p:cNvSpPr/><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr>'
            f'<p:txBody><a:p><a:r><a:t>{esc(title)}</a:t></a:r></a:p></p:txBody></p:sp>'
            f'<p:sp><p:nvSpPr><p:cNvPr id="3" name="Body"/><p:cNvSpPr/><p:nvPr><p:ph idx="1"/></p:nvPr></p:nvSpPr>'
            f'<p:txBody><a:p><a:r><a:t>{esc(body)}</a:t></a:r></a:p></p:txBody></p:sp>'
            f'</p:spTree></p:cSld></p:sld>')


X = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
# --- ODF -----------------------------------------------------------------------------------
ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"')


def odf(name, mediatype, body):
    write_zip(name, {
        "content.xml": f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}><office:body>{body}</office:body></office:document-content>',
        "META-INF/manifest.xml": '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
    }, first=("mimetype", mediatype))


# --- PDF -----------------------------------------------------------------------------------
def pdf(pages_streams, compress=False):
    """A valid PDF with one page per content stream, Helvetica, and a correct xref table."""
    objects = []  # index i → object i+1
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    page_count = len(pages_streams)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(page_count))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, stream in enumerate(pages_streams):
        content_id = 5 + 2 * i
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>".encode())
        data = zlib.compress(stream, 9) if compress else stream
        flt = b" /Filter /FlateDecode" if compress else b""
        objects.append(b"<< /Length " + str(len(data)).encode() + flt + b" >>\nstream\n" + data + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def text_page(lines):
    ops = ["BT", "/F1 14 Tf", "72 720 Td", "18 TL"]
    for line in lines:
        ops.append(f"({line}) Tj T*")
    ops.append("ET")
    return "\n".join(ops).encode()


def write_samples(out):
    """Every test file, into `out`."""
    global OUT
    OUT = out
    docx_body = "".join([
        wp("Quarterly Wombat Report", "Title"),
        wp("The lead paragraph mentions the platypus budget."),
        wp("Deployment Checklist", "Heading1"),
        '<w:p><w:r><w:t>Rotate the </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>marmalade</w:t></w:r>'
        '<w:r><w:t xml:space="preserve"> credentials every quarter.</w:t></w:r></w:p>',
        '<w:tbl><w:tr><w:tc>' + wp("Owner") + '</w:tc><w:tc>' + wp("Budget") + '</w:tc></w:tr>'
        '<w:tr><w:tc>' + wp("Ops") + '</w:tc><w:tc>' + wp("4200 & more") + '</w:tc></w:tr></w:tbl>',
    ])
    write_zip("sample.docx", {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{docx_body}</w:body></w:document>',
    })

    # Presentation order differs from file names: slide2.xml is shown first.
    write_zip("sample.pptx", {
        "ppt/presentation.xml": f'<?xml version="1.0"?><p:presentation {P}><p:sldIdLst>'
                                '<p:sldId id="256" r:id="rId7"/><p:sldId id="257" r:id="rId8"/></p:sldIdLst></p:presentation>',
        "ppt/_rels/presentation.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                           '<Relationship Id="rId7" Type="slide" Target="slides/slide2.xml"/>'
                                           '<Relationship Id="rId8" Type="slide" Target="slides/slide1.xml"/></Relationships>',
        "ppt/slides/slide1.xml": slide("Roadmap", "Ship the heliotrope release in spring."),
        "ppt/slides/slide2.xml": slide("Welcome", "Introducing the kumquat initiative."),
    })

    write_zip("sample.xlsx", {
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {X}><sheets>'
                           '<sheet name="Budget" sheetId="1" r:id="rId1"/><sheet name="Staff" sheetId="2" r:id="rId2"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                      '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
                                      '<Relationship Id="rId2" Type="worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst {X} count="4" uniqueCount="4">'
                                '<si><t>Item</t></si><si><t>Cost</t></si><si><r><t>Zeppelin </t></r><r><t>fuel</t></r></si>'
                                '<si><t>Alice Quokka</t></si></sst>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {X}><sheetData>'
                                    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
                                    '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1234.5</v></c></row>'
                                    '</sheetData></worksheet>',
        "xl/worksheets/sheet2.xml": f'<?xml version="1.0"?><worksheet {X}><sheetData>'
                                    '<row r="1"><c r="A1" t="s"><v>3</v></c><c r="B1" t="inlineStr"><is><t>Lead engineer</t></is></c></row>'
                                    '</sheetData></worksheet>',
    })

    odf("sample.odt", "application/vnd.oasis.opendocument.text",
        '<office:text><text:p>Opening words about the capybara.</text:p>'
        '<text:h text:outline-level="1">Migration Plan</text:h>'
        '<text:p>Move the<text:s/>archive to the <text:span>tundra</text:span> cluster.</text:p>'
        '<text:tracked-changes><text:changed-region><text:deletion><text:p>deletedword</text:p></text:deletion></text:changed-region></text:tracked-changes>'
        '</office:text>')
    odf("sample.ods", "application/vnd.oasis.opendocument.spreadsheet",
        '<office:spreadsheet><table:table table:name="Inventory">'
        '<table:table-row><table:table-cell><text:p>Widget</text:p></table:table-cell><table:table-cell><text:p>Gadget</text:p></table:table-cell></table:table-row>'
        '<table:table-row><table:table-cell><text:p>narwhal</text:p></table:table-cell><table:table-cell table:number-columns-repeated="3"/></table:table-row>'
        '</table:table><table:table table:name="Notes"><table:table-row><table:table-cell><text:p>pelican note</text:p></table:table-cell></table:table-row></table:table>'
        '</office:spreadsheet>')
    odf("sample.odp", "application/vnd.oasis.opendocument.presentation",
        '<office:presentation>'
        '<draw:page draw:name="page1"><draw:frame presentation:class="title"><draw:text-box><text:p>Kickoff</text:p></draw:text-box></draw:frame>'
        '<draw:frame presentation:class="outline"><draw:text-box><text:p>The axolotl team starts today.</text:p></draw:text-box></draw:frame>'
        '<presentation:notes><draw:frame><draw:text-box><text:p>speaker secret</text:p></draw:text-box></draw:frame></presentation:notes></draw:page>'
        '<draw:page draw:name="page2"><draw:frame presentation:class="title"><draw:text-box><text:p>Budget</text:p></draw:text-box></draw:frame>'
        '<draw:frame><draw:text-box><text:p>Costs fell by a third.</text:p></draw:text-box></draw:frame></draw:page>'
        '</office:presentation>')


    sample_pdf = pdf([
        text_page(["Introduction to the flamingo protocol", "Every node speaks it."]),
        text_page(["Section two covers the giraffe scheduler."]),
        text_page(["Appendix: the pangolin glossary."]),
    ])
    with open(path("sample.pdf"), "wb") as f:
        f.write(sample_pdf)

    # Truncated: cut inside the first page's content, before any xref or trailer.
    with open(path("truncated.pdf"), "wb") as f:
        f.write(sample_pdf[: sample_pdf.index(b"flamingo")])

    # A page with no text layer (only a filled rectangle): no_text.
    with open(path("blank.pdf"), "wb") as f:
        f.write(pdf([b"0 0 m 100 0 l 100 100 l h f"]))

    # Slow: few pages whose compressed content streams inflate to many text-showing operators.
    # Small on disk, seconds of CPU for any reader.
    with open(path("slow.pdf"), "wb") as f:
        busy = b"BT /F1 1 Tf 1 0 0 1 10 10 Tm (xy) Tj ET\n" * 400_000
        f.write(pdf([busy] * 8, compress=True))

    if shutil.which("qpdf"):
        subprocess.run(["qpdf", "--encrypt", "user-secret", "owner-secret", "256", "--",
                        path("sample.pdf"), path("encrypted.pdf")], check=True)

    # --- ZIP bomb: a DOCX whose document.xml inflates to 100 MiB from about 100 KiB ------------
    with zipfile.ZipFile(path("bomb.docx"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0"?><w:document {W}><w:body><w:p><w:r><w:t>'.encode())
            chunk = b"A" * (1 << 20)
            for _ in range(100):
                part.write(chunk)
            part.write(b"</w:t></w:r></w:p></w:body></w:document>")

    # --- Damaged and protected Office files ---------------------------------------------------
    with open(path("sample.docx"), "rb") as f:
        docx = f.read()
    with open(path("truncated.docx"), "wb") as f:  # no central directory
        f.write(docx[: len(docx) // 2])
    # Password-protected OOXML is an OLE compound file holding an EncryptedPackage stream; this
    # keeps only what identifies it (the CFB signature and the UTF-16 stream name in a directory
    # sector), not a whole compound file.
    with open(path("encrypted.docx"), "wb") as f:
        header = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)
        entry = "EncryptedPackage".encode("utf-16-le").ljust(64, b"\0") + bytes(64)
        f.write(header + entry * 4)
    write_zip("encrypted.odt", {
        "content.xml": bytes(range(256)) * 4,  # ciphertext stands in: it is never read
        "META-INF/manifest.xml": '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                                 '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                                 '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA"/>'
                                 '</manifest:file-entry></manifest:manifest>',
    }, first=("mimetype", "application/vnd.oasis.opendocument.text"))

    # --- Memory: a DOCX under the inflation caps (24 MiB of XML from about 70 KiB) whose millions
    # of tiny paragraphs need over 400 MiB as a parsed tree: the helper's RLIMIT_AS trips.
    with zipfile.ZipFile(path("memory.docx"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("word/document.xml", "w") as part:
            part.write(f'<?xml version="1.0"?><w:document {W}><w:body>'.encode())
            paragraph = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
            block = paragraph * ((1 << 20) // len(paragraph))
            for _ in range(24):
                part.write(block)
            part.write(b"</w:body></w:document>")

    # --- Text formats --------------------------------------------------------------------------
    with open(path("sample.txt"), "w") as f:
        f.write("First paragraph about the ocelot.\n\nSecond paragraph, the\nsame one continued.\n")
    with open(path("sample.md"), "w") as f:
        f.write("Intro line about lemurs.\n\n# Setup\n\nInstall the **tapir** package.\n\n```\n# not a heading\n```\n\n## Usage ##\n\nRun it daily.\n")
    with open(path("sample.csv"), "w") as f:
        f.write('name,comment\r\nalpaca,"likes, commas"\r\n"quoted ""llama""",plain\r\n')
    with open(path("sample.json"), "w") as f:
        f.write('{"title": "Gecko handbook", "tags": ["iguana", "newt"], "count": 3, "nested": {"note": "line\\nbreak \\u00e9t\\u00e9"}}')
    with open(path("sample.xml"), "w") as f:
        f.write('<?xml version="1.0"?><!-- a comment --><catalog><item id="1">Heron &amp; egret</item><item><![CDATA[Raw <cdata> text]]></item></catalog>')
    with open(path("sample.html"), "w") as f:
        f.write('<!DOCTYPE html><html><head><title>Tab title</title><style>body{color:red}</style></head><body>'
                '<p>Visible lead about the mongoose.</p><script>var hidden = "invisible";</script>'
                '<h2>Contacts</h2><table><tr><th>Name</th><th>Role</th></tr><tr><td>Ibis</td><td>Lead</td></tr></table>'
                '<p>Line one<br>line two</p></body></html>')

    # Over a 1 MiB size limit (the tests set that limit).
    with open(path("large.txt"), "w") as f:
        f.write(("large file line\n" * 70_000))


if __name__ == "__main__":
    write_samples(sys.argv[1])
