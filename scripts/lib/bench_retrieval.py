"""`scripts/bench retrieval`: ranking quality and query latency of Tributary next to BM25 libraries.

Corpus (Debian packages, installed by scripts/bench): the PostgreSQL 15 manual's HTML pages
(`postgresql-doc-15`, its back-of-book index page left out) and man pages of sections 1, 5 and 8
rendered with groff (a fixed-seed sample of section 1). Each page is given as storage XHTML.

Query sets, built so that the query text is not copied from the page it must find:
  known-item   PostgreSQL's back-of-book index: an entry ("GIN", "index building
               concurrently": primary + secondary term) -> the pages it links to. The index was
               written by people; the link text (the target section's title) is not used.
  descriptions man pages' NAME line: the description ("copy files and directories") -> that man
               page, whose NAME section is removed from the indexed body and whose title is
               only "cp(1)".
  questions    real user questions from FAQs in Debian packages (Debian FAQ, sed, zlib and XZ
               Utils FAQs) -> the page holding the answer, with the question removed from it; a
               corpus of its own (the FAQ answers and the Debian Reference's sections as
               distractors, `questions/` under the work directory: see retrieval_questions.py),
               small enough to embed in minutes.
Each set is sampled with a fixed seed and split in two halves: A (used while tuning) and B
(held out); figures are printed for both.

Engines, over exactly the same chunks (Tributary's chunker output, written by TributaryBench):
  Tributary    TributaryBench retrieval: the daemon's conversion, chunking and SearchIndex
  bm25s        bm25s (Lucene BM25, English stop words, Snowball stemmer via PyStemmer) over
               "title headings text" of each chunk
  tantivy      tantivy-py, fields title / headings / body with the en_stem tokenizer, OR query
  SQLite FTS5  porter unicode61, columns title / headings / body, bm25() with default weights
  dense        (both corpora) all-MiniLM-L6-v2 through the project's embedding server
               (scripts/embedding_server), "title headings text" of each chunk, exact cosine;
               latency is the k-NN scan, the query's embedding is reported apart
  Tributary hybrid  (both corpora, --tributary-hybrid) the hook `TributaryBench
               retrieval-hybrid WORKDIR` with TRIBUTARY_EMBEDDING_URL / TRIBUTARY_EMBEDDING_MODEL
               set; it writes WORKDIR/tributary-hybrid.jsonl like tributary.jsonl and prints a
               JSON summary ({"chunks", "index_bytes", "vector_bytes", "embed_seconds", ...}); its
               vectors are kept in WORKDIR/tributary-vectors.cache for the next run over the same
               chunks ("vectors_from_cache"; the large corpus takes about half an hour to embed).
               TRIBUTARY_BENCH_LEGS=1 also writes each query's two legs (tributary-legs.jsonl),
               for tuning the fusion offline.
               Skipped with a message while TributaryBench has no such hook (exit 64).
Rankings are per page: the best chunk stands for its page (100 pages kept). Metrics with binary
relevance: nDCG@10, MRR@10, Recall@10, Recall@100. Latency: a top-10 query, three rounds of the
whole set in this process (Tributary: in TributaryBench, with snippets, per read transaction).

Usage: bench_retrieval.py BIN_DIR PEER_PYTHON [--embedding-python PY] [--tributary-hybrid]
                          [--per-set N] [--seed S] [--work DIR] [--only tributary,dense,...]
(the peers run as `PEER_PYTHON bench_retrieval.py --peers WORKDIR`, the dense baseline as
`EMBEDDING_PYTHON bench_retrieval.py --dense WORKDIR URL`). Without --embedding-python the
dense baseline is left out.
"""
import argparse, gzip, hashlib, html, json, math, os, random, re, subprocess, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

PG_DIR = "/usr/share/doc/postgresql-doc-15/html"
MAN_DIR = "/usr/share/man"
CORPUS_VERSION = "3"
PEERS = ("bm25s", "tantivy", "fts5")
NAMES = {"tributary": "Tributary", "bm25s": "bm25s", "tantivy": "tantivy", "fts5": "SQLite FTS5", "dense": "dense",
         "tributary-hybrid": "Trib. hybrid"}
EMBEDDING_MODEL = "all-MiniLM-L6-v2"


# ---------------------------------------------------------------- corpus and queries

def pg_pages():
    """The manual's pages without navigation, as (id, title, body)."""
    pages = []
    for name in sorted(os.listdir(PG_DIR)):
        if not name.endswith(".html") or name == "bookindex.html":
            continue
        text = open(os.path.join(PG_DIR, name), encoding="utf-8", errors="replace").read()
        m = re.search(r"<title>(.*?)</title>", text, re.S)
        title = html.unescape(re.sub(r"\s+", " ", m.group(1))).strip() if m else name
        body = text[text.find("<body"):]
        body = body[body.find(">") + 1:]
        nav = body.find('<div class="navheader">')
        if nav >= 0:
            end = body.find("</div>", nav)
            body = body[:nav] + body[end + 6:]
        foot = body.find('<div class="navfooter">')
        if foot >= 0:
            body = body[:foot]
        body = body.replace("</body>", "").replace("</html>", "")
        pages.append(("pg:" + name[:-5], title, body))
    return pages


class IndexParser(HTMLParser):
    """Entries of bookindex.html: (primary, secondary or "", [target pages])."""
    def __init__(self):
        super().__init__()
        self.entries = []
        self.depth = 0          # nesting of <dl>
        self.in_dt = False
        self.text = ""
        self.targets = []
        self.primary = ""
        self.in_link = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "dl":
            self.depth += 1
        elif tag == "dt":
            self.in_dt, self.text, self.targets = True, "", []
        elif tag == "a" and self.in_dt and a.get("class") == "indexterm":
            self.in_link = True
            self.targets.append(a.get("href", "").split("#")[0])

    def handle_endtag(self, tag):
        if tag == "dl":
            self.depth -= 1
        elif tag == "a":
            self.in_link = False
        elif tag == "dt" and self.in_dt:
            self.in_dt = False
            term = re.sub(r"\s+", " ", self.text).strip().rstrip(",").strip()
            if self.depth <= 1:
                self.primary = term
                self.entries.append((term, "", self.targets))
            else:
                self.entries.append((self.primary, term, self.targets))

    def handle_data(self, data):
        if self.in_dt and not self.in_link and not self.targets:
            self.text += data


def known_item_queries(page_ids):
    parser = IndexParser()
    parser.feed(open(os.path.join(PG_DIR, "bookindex.html"), encoding="utf-8").read())
    seen, queries = set(), []
    for primary, secondary, targets in parser.entries:
        pages = sorted({"pg:" + t[:-5] for t in targets if t.endswith(".html")} & page_ids)
        # "see also" entries link nowhere; entries with many targets are not known items.
        if not pages or len(pages) > 3 or not primary:
            continue
        q = (primary + " " + secondary).strip()
        if q.lower() in seen or len(q) > 80:
            continue
        seen.add(q.lower())
        queries.append({"q": q, "relevant": pages})
    return queries


def render_man(path):
    try:
        raw = gzip.open(path).read()
        out = subprocess.run(["groff", "-k", "-t", "-man", "-Tutf8", "-P-cbou", "-rLL=2000n"], input=raw,
                             capture_output=True, timeout=30).stdout.decode("utf-8", "replace")
    except Exception:
        return None
    return out


def man_page(name, text):
    """(id, title, body, description) of a rendered man page, or None."""
    lines = text.split("\n")[1:]
    while lines and not lines[-1].strip():
        lines.pop()
    lines = lines[:-1]                       # running header and footer
    sections, current = [], None
    for line in lines:
        if line and not line.startswith(" "):
            current = [line.strip(), []]
            sections.append(current)
        elif current is not None:
            # Words hyphenated at a line end are joined again.
            if current[1] and current[1][-1].endswith("\u2010"):
                current[1][-1] = current[1][-1][:-1] + line.strip()
            else:
                current[1].append(line.strip())
    name_section = next((s for s in sections if s[0] == "NAME"), None)
    if not name_section:
        return None
    name_line = " ".join(l for l in name_section[1] if l)
    parts = re.split(r"\s[-\u2010\u2212\u2013\u2014]+\s", name_line, maxsplit=1)
    description = parts[1].strip() if len(parts) == 2 else ""
    base, _, section = name.rpartition(".")
    title = "%s(%s)" % (base, section)
    out = []
    for heading, body in sections:
        if heading == "NAME":
            continue
        out.append("<h2>%s</h2>" % html.escape(heading))
        paragraph = []
        for l in body + [""]:
            if l:
                paragraph.append(l)
            elif paragraph:
                out.append("<p>%s</p>" % html.escape(" ".join(paragraph)))
                paragraph = []
    body = "\n".join(out)
    if len(body) < 300:
        return None
    return ("man:" + name, title, body, description)


def man_pages(rng, section1_sample):
    files = []
    for section in ("man1", "man5", "man8"):
        d = os.path.join(MAN_DIR, section)
        # Google Cloud SDK's thousands of generated pages (when installed) would be most of the set.
        names = sorted(n for n in os.listdir(d) if n.endswith(".gz") and not os.path.islink(os.path.join(d, n))
                       and not n.startswith("gcloud"))
        if section == "man1":
            names = sorted(rng.sample(names, min(section1_sample, len(names))))
        files += [(n[:-3], os.path.join(d, n)) for n in names]
    with ThreadPoolExecutor(max_workers=2) as pool:
        rendered = list(pool.map(lambda f: render_man(f[1]), files))
    pages = []
    for (name, _), text in zip(files, rendered):
        page = man_page(name, text) if text else None
        if page:
            pages.append(page)
    return pages


def build(work, seed, per_set):
    """Writes pages.jsonl, queries.jsonl and qrels.json into `work` (reused when present)."""
    stamp = os.path.join(work, "stamp")
    key = "%s seed=%d per_set=%d" % (CORPUS_VERSION, seed, per_set)
    if os.path.exists(stamp) and open(stamp).read() == key:
        return json.load(open(os.path.join(work, "qrels.json")))
    rng = random.Random(seed)
    pg = pg_pages()
    man = man_pages(rng, 1500)
    ids = {p[0] for p in pg}
    known = known_item_queries(ids)
    descriptions = []
    seen = set()
    for pid, title, body, description in man:
        words = re.findall(r"\w+", description)
        if len(words) < 3 or description.lower() in seen:
            continue
        seen.add(description.lower())
        descriptions.append({"q": description, "relevant": [pid]})
    qrels = {}
    lines = []
    for set_name, queries in (("known-item", known), ("descriptions", descriptions)):
        rng.shuffle(queries)
        for number, query in enumerate(queries[:per_set]):
            qid = "%s-%d" % (set_name, number)
            qrels[qid] = {"set": set_name, "half": "AB"[number % 2], "relevant": query["relevant"], "q": query["q"]}
            lines.append(json.dumps({"id": qid, "q": query["q"]}))
    with open(os.path.join(work, "pages.jsonl"), "w") as f:
        for pid, title, body in pg + [m[:3] for m in man]:
            f.write(json.dumps({"id": pid, "title": title, "body": body}) + "\n")
    with open(os.path.join(work, "queries.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    json.dump(qrels, open(os.path.join(work, "qrels.json"), "w"))
    build_questions(os.path.join(work, "questions"), random.Random(seed))
    open(stamp, "w").write(key)
    return qrels


def build_questions(work, rng):
    """The question set's own corpus and queries in `work` (all the questions, halves A/B)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import retrieval_questions
    os.makedirs(work, exist_ok=True)
    pages, queries = retrieval_questions.build(rng, distractor_pages=400)
    rng.shuffle(queries)
    qrels, lines = {}, []
    for number, query in enumerate(queries):
        qid = "questions-%d" % number
        qrels[qid] = {"set": "questions", "half": "AB"[number % 2], "relevant": query["relevant"], "q": query["q"]}
        lines.append(json.dumps({"id": qid, "q": query["q"]}))
    with open(os.path.join(work, "pages.jsonl"), "w") as f:
        for pid, title, body in pages:
            f.write(json.dumps({"id": pid, "title": title, "body": body}) + "\n")
    with open(os.path.join(work, "queries.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    json.dump(qrels, open(os.path.join(work, "qrels.json"), "w"))


# ---------------------------------------------------------------- peers (run in the peer venv)

def words(text):
    return re.findall(r"\w+", text.lower())


def pages_of(chunk_pages, hits, limit=100):
    out, seen = [], set()
    for h in hits:
        p = chunk_pages[h]
        if p not in seen:
            seen.add(p)
            out.append(p)
            if len(out) == limit:
                break
    return out


def run_peers(work, only=None):
    chunks = [json.loads(l) for l in open(os.path.join(work, "chunks.jsonl"))]
    queries = [json.loads(l) for l in open(os.path.join(work, "queries.jsonl"))]
    chunk_pages = [c["page"] for c in chunks]
    for peer in PEERS:
        if only and peer not in only:
            continue
        started = time.perf_counter()
        search = globals()["peer_" + peer](chunks, work)
        build_seconds = time.perf_counter() - started
        rankings = [pages_of(chunk_pages, search(q["q"], 1000)) for q in queries]
        seconds = [[] for _ in queries]
        for _ in range(3):
            for i, q in enumerate(queries):
                t = time.perf_counter()
                search(q["q"], 10)
                seconds[i].append(time.perf_counter() - t)
        with open(os.path.join(work, peer + ".jsonl"), "w") as f:
            for q, r, s in zip(queries, rankings, seconds):
                f.write(json.dumps({"id": q["id"], "pages": r, "seconds": s}) + "\n")
        print(json.dumps({"peer": peer, "build_seconds": build_seconds}), flush=True)


def peer_bm25s(chunks, work):
    import bm25s, Stemmer
    stemmer = Stemmer.Stemmer("english")
    corpus = [" ".join([c["title"]] + c["headings"] + [c["text"]]) for c in chunks]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    n = len(corpus)

    def search(q, k):
        tokens = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = retriever.retrieve(tokens, k=min(k, n), show_progress=False)
        return [int(d) for d, s in zip(docs[0], scores[0]) if s > 0]
    return search


def peer_tantivy(chunks, work):
    import tantivy
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("n", stored=True, indexed=False, fast=False)
    for field in ("title", "headings", "body"):
        builder.add_text_field(field, stored=False, tokenizer_name="en_stem")
    schema = builder.build()
    path = os.path.join(work, "tantivy")
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        os.remove(os.path.join(path, name))
    index = tantivy.Index(schema, path=path)
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    for n, c in enumerate(chunks):
        writer.add_document(tantivy.Document(n=n, title=c["title"], headings=" ".join(c["headings"]), body=c["text"]))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def search(q, k):
        terms = words(q)
        if not terms:
            return []
        query = index.parse_query(" ".join(terms), ["title", "headings", "body"])
        return [searcher.doc(address)["n"][0] for _, address in searcher.search(query, k).hits]
    return search


def peer_fts5(chunks, work):
    import sqlite3
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, headings, body, tokenize='porter unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO t(rowid, title, headings, body) VALUES (?, ?, ?, ?)",
                   ((n, c["title"], " ".join(c["headings"]), c["text"]) for n, c in enumerate(chunks)))
    db.commit()

    def search(q, k):
        terms = words(q)
        if not terms:
            return []
        match = " OR ".join('"%s"' % t for t in terms)
        return [r[0] for r in db.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT ?", (match, k))]
    return search


# ---------------------------------------------------------------- dense baseline (run in the embedding venv)

def embed(url, texts, batch=64):
    import numpy as np
    out = []
    for start in range(0, len(texts), batch):
        body = json.dumps({"input": texts[start:start + batch], "model": EMBEDDING_MODEL}).encode()
        request = urllib.request.Request(url + "/v1/embeddings", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            data = json.loads(response.read())["data"]
        out += [d["embedding"] for d in sorted(data, key=lambda d: d["index"])]
    return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


def run_dense(work, url):
    """Exact-cosine k-NN over the chunks' embeddings. Chunk vectors are cached in
    WORKDIR/dense-vectors.npy, keyed by a hash of the chunk texts and the model."""
    import numpy as np
    chunks = [json.loads(l) for l in open(os.path.join(work, "chunks.jsonl"))]
    queries = [json.loads(l) for l in open(os.path.join(work, "queries.jsonl"))]
    chunk_pages = [c["page"] for c in chunks]
    texts = [" ".join([c["title"]] + c["headings"] + [c["text"]]) for c in chunks]
    key = hashlib.sha256(("\0".join([EMBEDDING_MODEL] + texts)).encode()).hexdigest()
    cache, stamp = os.path.join(work, "dense-vectors.npy"), os.path.join(work, "dense-vectors.key")
    embed_seconds = None
    if os.path.exists(cache) and os.path.exists(stamp) and open(stamp).read().split()[0] == key:
        vectors = np.load(cache)
        embed_seconds = float(open(stamp).read().split()[1])
    else:
        started = time.perf_counter()
        vectors = embed(url, texts)
        embed_seconds = time.perf_counter() - started
        np.save(cache, vectors)
        open(stamp, "w").write("%s %f" % (key, embed_seconds))
    query_vectors, query_seconds = [], []
    for q in queries:
        t = time.perf_counter()
        query_vectors.append(embed(url, [q["q"]])[0])
        query_seconds.append(time.perf_counter() - t)
    rankings, seconds = [], [[] for _ in queries]
    for qv in query_vectors:
        order = np.argsort(-(vectors @ qv), kind="stable")
        rankings.append(pages_of(chunk_pages, order.tolist()))
    for _ in range(3):
        for i, qv in enumerate(query_vectors):
            t = time.perf_counter()
            scores = vectors @ qv
            top = np.argpartition(-scores, 100)[:100]
            top[np.argsort(-scores[top])]
            seconds[i].append(time.perf_counter() - t)
    with open(os.path.join(work, "dense.jsonl"), "w") as f:
        for q, r, s in zip(queries, rankings, seconds):
            f.write(json.dumps({"id": q["id"], "pages": r, "seconds": s}) + "\n")
    print(json.dumps({"chunks": len(chunks), "dimension": int(vectors.shape[1]), "embed_seconds": embed_seconds,
                      "vector_bytes_f32": int(vectors.nbytes), "vector_bytes_int8": int(vectors.shape[0] * (vectors.shape[1] + 4)),
                      "query_embed_p50": percentile(query_seconds, 0.5), "query_embed_p99": percentile(query_seconds, 0.99)}),
          flush=True)


def start_embedding_server(python):
    """Starts scripts/embedding_server on a free port; (process, base URL)."""
    server = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "embedding_server", "server.py")
    process = subprocess.Popen([python, server, "--max-seconds", "7200"], stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline())
    return process, "http://127.0.0.1:%d" % port


# ---------------------------------------------------------------- scoring

def metrics(ranking, relevant):
    rel = set(relevant)
    dcg = sum(1 / math.log2(i + 2) for i, p in enumerate(ranking[:10]) if p in rel)
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(rel), 10)))
    rr = next((1 / (i + 1) for i, p in enumerate(ranking[:10]) if p in rel), 0.0)
    return {"ndcg10": dcg / idcg, "mrr10": rr, "r10": len(rel & set(ranking[:10])) / len(rel),
            "r100": len(rel & set(ranking[:100])) / len(rel)}


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else 0.0


LEXICAL_PEERS = ("bm25s", "tantivy", "fts5")


def report(work, qrels, engines, summaries):
    results = {}
    for engine in engines:
        path = os.path.join(work, engine + ".jsonl")
        results[engine] = {r["id"]: r for r in (json.loads(l) for l in open(path))}
    keys = ("ndcg10", "mrr10", "r10", "r100")
    sets = sorted({q["set"] for q in qrels.values()}, key=lambda s: s != "known-item")
    print("  %-30s %-12s %7s %7s %7s %7s   %s" % ("set (queries)", "engine", "nDCG@10", "MRR@10", "R@10", "R@100", "p50 / p99 query"))
    table = {}
    for set_name in sets:
        for half in ("A", "B", "AB"):
            ids = [q for q, v in qrels.items() if v["set"] == set_name and v["half"] in half]
            label = "%s %s (%d)" % (set_name, {"A": "A tune", "B": "B held-out", "AB": "all"}[half], len(ids))
            for engine in engines:
                m = {k: sum(metrics(results[engine][q]["pages"], qrels[q]["relevant"])[k] for q in ids) / len(ids) for k in keys}
                table[(set_name, half, engine)] = m
                latency = ""
                if half == "AB":
                    times = [t for q in ids for t in results[engine][q]["seconds"]]
                    latency = "%.0f / %.0f µs" % (percentile(times, 0.5) * 1e6, percentile(times, 0.99) * 1e6)
                print("  %-30s %-12s %7.3f %7.3f %7.3f %7.3f   %s" % (label, NAMES[engine], m["ndcg10"], m["mrr10"], m["r10"], m["r100"], latency))
            lexical = [e for e in engines if e in LEXICAL_PEERS]
            for ours, peers, what in (("tributary", lexical, "ratio/best lexical peer"),
                                      ("tributary-hybrid", [e for e in engines if e in LEXICAL_PEERS or e == "dense"],
                                       "hybrid − best peer (dense included)")):
                if ours not in engines or not peers:
                    continue
                mine = table[(set_name, half, ours)]
                best = {k: max(table[(set_name, half, e)][k] for e in peers) for k in keys}
                if ours == "tributary":
                    print("  %-30s %-12s %7.3f %7.3f %7.3f %7.3f" % ("", "ratio/best", *(mine[k] / best[k] if best[k] else 0 for k in keys)))
                    print("  %-30s %-12s %+7.3f %+7.3f %+7.3f %+7.3f" % ("", "Δ best", *(mine[k] - best[k] for k in keys)))
                else:
                    print("  %-30s %-12s %+7.3f %+7.3f %+7.3f %+7.3f   (%s)" % ("", "Δ hybrid", *(mine[k] - best[k] for k in keys), what))
    for line in summaries:
        print("  " + line)


def run_tributary(bin_dir, work, hook="retrieval", env=None):
    """TributaryBench's summary line (JSON) for `work`, or None when it has no such hook."""
    process = subprocess.run([os.path.join(bin_dir, "TributaryBench"), hook, work], capture_output=True, text=True,
                             env=dict(os.environ, **(env or {})))
    if process.returncode == 64:
        return None
    if process.returncode != 0:
        sys.exit("TributaryBench %s %s failed: %s" % (hook, work, process.stderr.strip()))
    return json.loads(process.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--peers":
        run_peers(sys.argv[2], sys.argv[3].split(",") if len(sys.argv) > 3 else None)
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--dense":
        run_dense(sys.argv[2], sys.argv[3])
        return
    p = argparse.ArgumentParser(prog="scripts/bench retrieval")
    p.add_argument("bin_dir"); p.add_argument("peer_python")
    p.add_argument("--embedding-python", help="the embedding server's interpreter (tributary_embedding_python); "
                   "without it the dense baseline is left out")
    p.add_argument("--tributary-hybrid", action="store_true", help="also run TributaryBench retrieval-hybrid (both corpora)")
    p.add_argument("--per-set", type=int, default=400, help="queries per set of the large corpus (default 400)")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--work", default=".build/retrieval", help="corpus and results directory (reused)")
    p.add_argument("--only", default="", help="comma-separated engines to run (tributary, bm25s, tantivy, fts5, dense, "
                   "tributary-hybrid; default: all; others' last results are reused)")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    started = time.time()
    qrels = build(args.work, args.seed, args.per_set)
    questions_work = os.path.join(args.work, "questions")
    questions = json.load(open(os.path.join(questions_work, "qrels.json")))
    only = [e for e in args.only.split(",") if e]
    wanted = lambda engine: not only or engine in only
    n_pages = sum(1 for _ in open(os.path.join(args.work, "pages.jsonl")))
    n_questions_pages = sum(1 for _ in open(os.path.join(questions_work, "pages.jsonl")))
    print("retrieval bench: %d pages (PostgreSQL 15 manual + man pages 1/5/8), %d queries; question set: %d pages "
          "(FAQ answers + Debian Reference), %d questions; seed %d (%.0f s to build)"
          % (n_pages, len(qrels), n_questions_pages, len(questions), args.seed, time.time() - started), flush=True)
    summaries = {args.work: [], questions_work: []}
    for work in (args.work, questions_work):
        # The question corpus's chunks.jsonl comes from TributaryBench: the peers need it.
        if wanted("tributary") or not os.path.exists(os.path.join(work, "chunks.jsonl")):
            s = run_tributary(args.bin_dir, work)
            summaries[work].append("Tributary: %d chunks, index %.1f MB, built in %.1f s; %s" % (
                s["chunks"], s["index_bytes"] / 1e6, s["build_seconds"], s["ranking"]))
        peers = [e for e in PEERS if wanted(e)]
        if peers:
            subprocess.run([args.peer_python, os.path.abspath(__file__), "--peers", work, ",".join(peers)], check=True,
                           stdout=subprocess.DEVNULL)
    server = None
    try:
        if args.embedding_python and (wanted("dense") or (args.tributary_hybrid and wanted("tributary-hybrid"))):
            server, url = start_embedding_server(args.embedding_python)
            for work in (args.work, questions_work):
                if wanted("dense"):
                    out = subprocess.run([args.embedding_python, os.path.abspath(__file__), "--dense", work, url],
                                         check=True, capture_output=True, text=True).stdout
                    d = json.loads(out.strip().splitlines()[-1])
                    summaries[work].append(
                        "dense: %d chunks × %d dimensions embedded in %.0f s (%.1f chunks/s); vectors %.1f MB float32, %.1f MB int8; "
                        "query embedding p50 %.0f ms, p99 %.0f ms (not in the latency column)" % (
                            d["chunks"], d["dimension"], d["embed_seconds"], d["chunks"] / d["embed_seconds"],
                            d["vector_bytes_f32"] / 1e6, d["vector_bytes_int8"] / 1e6, d["query_embed_p50"] * 1e3,
                            d["query_embed_p99"] * 1e3))
                if args.tributary_hybrid and wanted("tributary-hybrid"):
                    s = run_tributary(args.bin_dir, work, "retrieval-hybrid",
                                      {"TRIBUTARY_EMBEDDING_URL": url, "TRIBUTARY_EMBEDDING_MODEL": EMBEDDING_MODEL})
                    if s is None:
                        summaries[work].append("Tributary hybrid: skipped, TributaryBench has no retrieval-hybrid hook yet")
                        stale = os.path.join(work, "tributary-hybrid.jsonl")
                        if os.path.exists(stale):
                            os.remove(stale)
                    else:
                        summaries[work].append("Tributary hybrid: " + json.dumps(s, sort_keys=True))
        elif not args.embedding_python:
            for work in (args.work, questions_work):
                reused = [NAMES[e] for e in ("dense", "tributary-hybrid") if os.path.exists(os.path.join(work, e + ".jsonl"))]
                summaries[work].append("dense and hybrid: not run (no --embedding-python)" +
                                       ("; %s: the last run's results" % ", ".join(reused) if reused else ""))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
    for work, sets in ((args.work, qrels), (questions_work, questions)):
        engines = [e for e in ("tributary",) + PEERS + ("dense", "tributary-hybrid") if os.path.exists(os.path.join(work, e + ".jsonl"))]
        report(work, sets, engines, summaries[work])


if __name__ == "__main__":
    main()
