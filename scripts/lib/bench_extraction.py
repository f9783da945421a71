#!/usr/bin/env python3
"""scripts/bench extraction: text-extraction throughput (MB/s of input) per format, through the
sandboxed helper exactly as the daemon runs it (one tributary-extract process per file, spawn,
rlimits and JSON included), with poppler's own `pdftotext` as the peer for PDF in the same run.

usage: bench_extraction.py BIN_DIR [--runs N] [--megabytes M]
"""
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import extraction_fixtures as fx  # noqa: E402  (the test files' builders, shared)

bin_dir = sys.argv[1]
runs = 5
megabytes = 4.0
args = sys.argv[2:]
while args:
    flag = args.pop(0)
    if flag == "--runs":
        runs = int(args.pop(0))
    elif flag == "--megabytes":
        megabytes = float(args.pop(0))
    else:
        sys.exit(f"unknown option {flag}")

rng = random.Random(16)
VOCABULARY = [w for w in (
    "the a of to and in is for on that with as by at from this be are or an it not which have was "
    "deployment credentials rotate quarterly budget schedule migration archive cluster protocol owner "
    "service database network storage release engineer review incident policy access token backup "
    "restore latency throughput capacity forecast invoice contract supplier revenue margin customer"
).split()]


def sentence(words=14):
    return " ".join(rng.choice(VOCABULARY) for _ in range(words)).capitalize() + "."


def paragraphs(total_chars):
    out, size = [], 0
    while size < total_chars:
        p = " ".join(sentence() for _ in range(5))
        out.append(p)
        size += len(p)
    return out


target = int(megabytes * 1_000_000)
work = tempfile.mkdtemp(prefix="tributary-bench-extraction-")
fx.OUT = work
files = {}

# PDF: pages of 40 lines each, uncompressed content streams (the file size is mostly text operators).
lines = [l for p in paragraphs(target // 2) for l in [p[i:i + 90] for i in range(0, len(p), 90)]]
pages = [fx.text_page([l.replace("(", "").replace(")", "") for l in lines[i:i + 40]]) for i in range(0, len(lines), 40)]
with open(fx.path("bench.pdf"), "wb") as f:
    f.write(fx.pdf(pages))
files["pdf"] = "bench.pdf"

# DOCX / ODT: paragraphs with a heading every 20; XML inflates about 4x from the ZIP.
body = paragraphs(target * 3)
docx = "".join(fx.wp(p, "Heading1" if i % 20 == 0 else None) for i, p in enumerate(body))
fx.write_zip("bench.docx", {"word/document.xml": f'<?xml version="1.0"?><w:document {fx.W}><w:body>{docx}</w:body></w:document>'})
files["docx"] = "bench.docx"
odt = "".join((f"<text:h>{p[:40]}</text:h>" if i % 20 == 0 else "") + f"<text:p>{p}</text:p>" for i, p in enumerate(body))
fx.odf("bench.odt", "application/vnd.oasis.opendocument.text", f"<office:text>{odt}</office:text>")
files["odt"] = "bench.odt"

# PPTX: slides of 6 paragraphs.
slides = {}
rels = []
ids = []
chunks = [body[i:i + 6] for i in range(0, len(body), 6)]
for n, chunk in enumerate(chunks, start=1):
    slides[f"ppt/slides/slide{n}.xml"] = fx.slide(chunk[0][:30], " ".join(chunk))
    rels.append(f'<Relationship Id="rId{n}" Type="slide" Target="slides/slide{n}.xml"/>')
    ids.append(f'<p:sldId id="{255 + n}" r:id="rId{n}"/>')
slides["ppt/presentation.xml"] = f'<?xml version="1.0"?><p:presentation {fx.P}><p:sldIdLst>{"".join(ids)}</p:sldIdLst></p:presentation>'
slides["ppt/_rels/presentation.xml.rels"] = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                             + "".join(rels) + "</Relationships>")
fx.write_zip("bench.pptx", slides)
files["pptx"] = "bench.pptx"

# XLSX / ODS: rows of a number, a shared string and a sentence.
row_count = target // 40
strings = [sentence(6) for _ in range(2000)]
sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r * 7}</v></c><c r="B{r}" t="s"><v>{r % len(strings)}</v></c></row>' for r in range(1, row_count))
fx.write_zip("bench.xlsx", {
    "xl/workbook.xml": f'<?xml version="1.0"?><workbook {fx.X}><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                  '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst {fx.X}>{sst}</sst>',
    "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {fx.X}><sheetData>{rows}</sheetData></worksheet>',
})
files["xlsx"] = "bench.xlsx"
ods_rows = "".join(f"<table:table-row><table:table-cell><text:p>{r * 7}</text:p></table:table-cell>"
                   f"<table:table-cell><text:p>{strings[r % len(strings)]}</text:p></table:table-cell></table:table-row>"
                   for r in range(1, row_count // 2))
fx.odf("bench.ods", "application/vnd.oasis.opendocument.spreadsheet",
       f'<office:spreadsheet><table:table table:name="Data">{ods_rows}</table:table></office:spreadsheet>')
files["ods"] = "bench.ods"
odp = "".join(f'<draw:page draw:name="p{n}"><draw:frame presentation:class="title"><draw:text-box><text:p>{c[0][:30]}</text:p>'
              f'</draw:text-box></draw:frame><draw:frame><draw:text-box>{"".join(f"<text:p>{p}</text:p>" for p in c)}</draw:text-box></draw:frame></draw:page>'
              for n, c in enumerate(chunks, start=1))
fx.odf("bench.odp", "application/vnd.oasis.opendocument.presentation", f"<office:presentation>{odp}</office:presentation>")
files["odp"] = "bench.odp"

# Text formats of about the target size.
text_body = paragraphs(target)
with open(fx.path("bench.txt"), "w") as f:
    f.write("\n\n".join(text_body))
files["txt"] = "bench.txt"
with open(fx.path("bench.md"), "w") as f:
    f.write("\n\n".join((f"## {p[:30]}\n\n" if i % 20 == 0 else "") + p for i, p in enumerate(text_body)))
files["md"] = "bench.md"
with open(fx.path("bench.csv"), "w") as f:
    f.write("\n".join(f'{i},"{p[:60]}",{p[60:120]}' for i, p in enumerate(paragraphs(target))))
files["csv"] = "bench.csv"
with open(fx.path("bench.json"), "w") as f:
    json.dump([{"id": i, "title": p[:40], "body": p} for i, p in enumerate(text_body)], f)
files["json"] = "bench.json"
with open(fx.path("bench.xml"), "w") as f:
    f.write('<?xml version="1.0"?><items>' + "".join(f"<item id='{i}'><title>{p[:40]}</title><body>{p}</body></item>"
                                                     for i, p in enumerate(text_body)) + "</items>")
files["xml"] = "bench.xml"
with open(fx.path("bench.html"), "w") as f:
    f.write("<html><head><style>p{}</style></head><body>" + "".join((f"<h2>{p[:30]}</h2>" if i % 20 == 0 else "") + f"<p>{p}</p>"
                                                                    for i, p in enumerate(text_body)) + "</body></html>")
files["html"] = "bench.html"


def bench_helper(fmt, name):
    out = subprocess.run([os.path.join(bin_dir, "ExtractionBench"), os.path.join(bin_dir, "tributary-extract"),
                          fmt, fx.path(name), str(runs)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def bench_pdftotext(name):
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["pdftotext", "-enc", "UTF-8", fx.path(name), "-"], capture_output=True, check=True)
        seconds.append(time.perf_counter() - start)
    return seconds


print(f"Extraction throughput: input MB/s through the sandboxed helper, median of {runs} runs per file "
      "(one helper process per run, spawn included)")
print(f"{'format':<8} {'file MB':>8} {'chars':>10} {'median s':>9} {'MB/s':>8}  note")
for fmt, name in files.items():
    size = os.path.getsize(fx.path(name)) / 1e6
    result = bench_helper(fmt, name)
    median = statistics.median(result["seconds"])
    note = f"FAILED: {result['failure']}" if result["failure"] else ""
    print(f"{fmt:<8} {size:>8.2f} {result['characters']:>10} {median:>9.3f} {size / median:>8.2f}  {note}")
    if fmt == "pdf":
        peer = statistics.median(bench_pdftotext(name))
        print(f"{'  peer':<8} {size:>8.2f} {'':>10} {peer:>9.3f} {size / peer:>8.2f}  pdftotext (poppler-utils), "
              f"same file, one process per run; tributary-extract takes {median / peer:.2f}x its time")

# The fixed cost of one file: a tiny text file through the sandbox.
with open(fx.path("tiny.txt"), "w") as f:
    f.write("one line\n")
tiny = statistics.median(bench_helper("txt", "tiny.txt")["seconds"])
print(f"per-file cost (spawn, limits, JSON) on a 9-byte file: {tiny * 1000:.1f} ms")
subprocess.run(["rm", "-rf", work])
