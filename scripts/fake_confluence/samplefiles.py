"""The sample space's PDF and DOCX attachments: small, real and deterministic, written by
``python3 -m scripts.fake_confluence.samplefiles`` into ``samples/handbook`` (checked in; the
tests check the checked-in files are what this makes)."""
import io
import os
import zipfile


def pdf(pages):
    objs = []
    def add(body):
        objs.append(body)
        return len(objs)
    catalog = add(None)
    pages_obj = add(None)
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        text = b"BT /F1 12 Tf 72 720 Td 16 TL\n"
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            text += b"(" + escaped.encode("latin-1") + b") Tj T*\n"
        text += b"ET"
        content = add(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                        % (pages_obj, font, content)))
    objs[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objs[pages_obj - 1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R /Info << /Title (Service catalogue) /Producer (fake-confluence sample) >> >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objs) + 1, catalog, xref))
    return out.getvalue()

def docx(title, paragraphs):
    W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    def esc(t): return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>%s</w:t></w:r></w:p>' % esc(title)
    body += "".join('<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % esc(p) for p in paragraphs)
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="%s"><w:body>%s<w:sectPr/></w:body></w:document>' % (W, body),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode())
    return out.getvalue()

def sample_files():
    """File name → bytes of the sample space's PDF and DOCX attachments."""
    pdf_bytes = pdf([
        ["Heronbyte service catalogue", "", "Every production service, its owner and its tier.",
         "Tier 1 services page the on-call engineer at any hour."],
        ["Kestrel billing service", "", "Owner: payments team. Tier 1.",
         "Kestrel retries failed invoice webhooks with exponential backoff",
         "for up to 72 hours, then parks them in the dead letter queue."],
    ])
    docx_bytes = docx("Travel policy", [
        "Book conference travel at least three weeks ahead through the travel desk.",
        "The per diem for conference travel is 65 euros a day and covers meals and local transport.",
        "Keep every receipt; expenses without receipts are not reimbursed.",
    ])
    return {"service-catalogue.pdf": pdf_bytes, "travel-policy.docx": docx_bytes}


#: Where each file goes in the sample space.
PLACES = {
    "service-catalogue.pdf": "pages/03-engineering/06-architecture.attachments",
    "travel-policy.docx": "pages/05-people/04-expenses-and-travel.attachments",
}


def write(sample_dir: str) -> None:
    for name, data in sample_files().items():
        folder = os.path.join(sample_dir, PLACES[name])
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(data)


if __name__ == "__main__":
    write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples", "handbook"))
