"""The peer pipeline of `scripts/bench sync`: what a competent team builds from open-source parts.

atlassian-python-api (its Cloud v2 client and its cursor pager) lists
`GET /wiki/api/v2/spaces/{id}/pages?body-format=storage&limit=250` page by page, lxml turns
each storage body into text, each page is cut into section chunks at h1-h6, and the chunks go
into a tantivy index committed to disk (a tantivy commit is durable: it fsyncs the segment
files and the meta file). One process, one pass, no concurrency: the straightforward way.

Usage: peer_pipeline.py ORIGIN EMAIL TOKEN_FILE SPACE_KEY INDEX_DIR
Prints one JSON line: seconds (start -> committed), pages, chunks, merge_seconds, peak_rss_kb.
"""
import json, os, re, resource, sys, time, warnings

START = time.monotonic()  # the clock starts before the imports: they are part of the pipeline's cost

import tantivy  # noqa: E402
from atlassian import ConfluenceV2  # noqa: E402  (the Cloud REST v2 client)
from lxml import etree  # noqa: E402

WRAP = ('<!DOCTYPE r [<!ENTITY nbsp "&#160;">]><r xmlns:ac="http://atlassian.com/content" '
        'xmlns:ri="http://atlassian.com/resource/identifier">%s</r>')
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
AC_PARAMETER = "{http://atlassian.com/content}parameter"
SPACES = re.compile(r"\s+")


def chunks(title, storage, parser):
    """(heading, text) sections of one storage body: a new chunk at every h1-h6."""
    root = etree.fromstring(WRAP % storage, parser)
    if root is None:
        return [(title, "")]
    for param in root.iter(AC_PARAMETER):  # macro parameters (code language, colours) are not text
        param.text = None
    out, heading, parts = [], title, []
    for el in root:
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).localname in HEADINGS:
            if parts:
                out.append((heading, SPACES.sub(" ", " ".join(parts)).strip()))
            heading, parts = SPACES.sub(" ", "".join(el.itertext())).strip(), []
        else:
            parts.append("".join(el.itertext()))
    if parts or not out:
        out.append((heading, SPACES.sub(" ", " ".join(parts)).strip()))
    return out


def main():
    origin, email, token_file, space_key, index_dir = sys.argv[1:6]
    with open(token_file) as f:
        token = f.read().strip()
    warnings.simplefilter("ignore", DeprecationWarning)
    confluence = ConfluenceV2(url=origin + "/wiki", username=email, password=token, cloud=True)
    space_id = confluence.get_space_by_key(space_key)["id"]

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("page_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True)
    builder.add_text_field("heading", stored=True)
    builder.add_text_field("body", stored=True)
    schema = builder.build()
    os.makedirs(index_dir, exist_ok=True)
    index = tantivy.Index(schema, path=index_dir)
    writer = index.writer()
    parser = etree.XMLParser(recover=True, resolve_entities=True, huge_tree=True)

    pages = n_chunks = 0
    # The library's generic cursor pager follows `_links.next` of the v2 listing.
    listing = confluence._get_paged("api/v2/spaces/%s/pages" % space_id,
                                    params={"body-format": "storage", "limit": 250})
    for page in listing:
        body = page.get("body", {}).get("storage", {}).get("value", "")
        for heading, text in chunks(page["title"], body, parser):
            writer.add_document(tantivy.Document(page_id=str(page["id"]), title=page["title"], heading=heading, body=text))
            n_chunks += 1
        pages += 1
    writer.commit()
    committed = time.monotonic()
    writer.wait_merging_threads()
    merged = time.monotonic()
    print(json.dumps({"seconds": committed - START, "pages": pages, "chunks": n_chunks,
                      "merge_seconds": merged - committed,
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
