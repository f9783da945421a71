"""Launcher/CLI behaviour, lifetime, content generation, the on-disk format and v1 shapes."""

import hashlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import (  # noqa: E402
    LAUNCHER, SAMPLE_DIR, SCRIPTS, V1_SPEC, Client, RunningServer, ServerTestCase, assert_matches_spec, basic,
)
from fake_confluence.cli import build_parser  # noqa: E402
from fake_confluence.corpus import Corpus, CorpusError  # noqa: E402
from fake_confluence.generator import generate_space  # noqa: E402
from fake_confluence.pagesdir import FormatError, load_space_dir  # noqa: E402
from fake_confluence.store import Store  # noqa: E402

README = os.path.join(SCRIPTS, "fake_confluence", "README.md")
WRAP = ('<!DOCTYPE root [<!ENTITY nbsp "&#160;">]><root xmlns:ac="http://atlassian.com/content" '
        'xmlns:ri="http://atlassian.com/resource/identifier">%s</root>')


def _block_signals():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})


def start(*args, blocked=False):
    """Start the launcher (optionally with SIGTERM/SIGINT blocked, as some test runners do); return (process, port)."""
    tmp = tempfile.mkdtemp()
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen([LAUNCHER, "--port", "0", "--port-file", port_file, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_block_signals if blocked else None)
    line = proc.stdout.readline()
    m = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n", line)
    if not m:
        proc.kill()
        raise AssertionError("unexpected first line %r, stderr=%r" % (line, proc.stderr.read()))
    with open(port_file) as fh:
        assert int(fh.read().strip()) == int(m.group(1))
    shutil.rmtree(tmp)
    return proc, int(m.group(1))


class LauncherTest(unittest.TestCase):
    def test_listen_line_port_file_keepalive_and_max_seconds(self):
        t0 = time.monotonic()
        proc, port = start("--generate", "40", "--email", "e@x", "--token", "t", "--max-seconds", "2")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            hdr = basic("e@x", "t")
            for _ in range(3):  # several requests on one keep-alive connection
                conn.request("GET", "/wiki/api/v2/spaces?keys=GEN", headers=hdr)
                r = conn.getresponse()
                self.assertEqual(int(r.getheader("Content-Length")), len(r.read()))
                self.assertEqual(r.status, 200)
            conn.close()
            self.assertEqual(proc.wait(timeout=10), 0)
            self.assertGreaterEqual(time.monotonic() - t0, 1.9)
            self.assertIn("--max-seconds reached", proc.stderr.read())
        finally:
            proc.kill()
            proc.stdout.close()
            proc.stderr.close()

    def test_sigterm_and_sigint_stop_it(self):
        for sig, blocked in ((signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)):
            proc, port = start("--sample", "--mode", "dc", "--context-path", "/confluence", "--pat", "p", blocked=blocked)
            try:
                client = Client(port, {"Authorization": "Bearer p"})
                r = client.get("/confluence/rest/api/space/HB")
                client.close()
                self.assertEqual(r.json["_links"]["webui"], "/display/HB")
                proc.send_signal(sig)
                self.assertEqual(proc.wait(timeout=10), 0)
            finally:
                proc.kill()
                proc.stdout.close()
                proc.stderr.close()

    def test_refuses_other_hosts_and_bad_combinations(self):
        for args in (["--host", "0.0.0.0", "--generate", "1"], ["--generate", "1", "--pat", "x"],
                     ["--generate", "1", "--email", "a"], [], ["--generate", "1", "--context-path", "/c"],
                     ["--generate", "1", "--fail-statuses", "404"]):
            r = subprocess.run([LAUNCHER, *args], capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 2, args)
            self.assertTrue(r.stderr.strip(), args)
        r = subprocess.run([LAUNCHER, "--host", "0.0.0.0", "--generate", "1"], capture_output=True, text=True, timeout=20)
        self.assertIn("only listens on 127.0.0.1", r.stderr)

    def test_every_option_is_in_help_and_readme(self):
        with open(README) as fh:
            readme = fh.read()
        help_text = build_parser().format_help()
        opts = [o for a in build_parser()._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
        self.assertGreater(len(opts), 20)
        for opt in opts:
            self.assertIn(opt, help_text)
            self.assertIn("`%s" % opt, readme, "README does not document %s" % opt)

    def test_export_round_trip(self):
        tmp = tempfile.mkdtemp()
        try:
            r = subprocess.run([LAUNCHER, "--generate", "120", "--seed", "3", "--sample", "--export", tmp],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            a, b = Store(), Store()
            generate_space(a, 120, 3)
            load_space_dir(a, SAMPLE_DIR)
            load_space_dir(b, os.path.join(tmp, "GEN"))
            load_space_dir(b, os.path.join(tmp, "HB"))
            self.assertEqual(set(a.pages), set(b.pages))
            for pid, p in a.pages.items():
                q = b.pages[pid]
                self.assertEqual((p.title, p.parent_id, p.status, p.body, [x.name for x in p.labels], p.version.number,
                                  p.created_ms, p.modified_ms, p.restricted, p.position),
                                 (q.title, q.parent_id, q.status, q.body, [x.name for x in q.labels], q.version.number,
                                  q.created_ms, q.modified_ms, q.restricted, q.position))
                self.assertEqual([(x.filename, x.data) for x in p.attachments], [(x.filename, x.data) for x in q.attachments])
            self.assertEqual(a.homepage_id(a.spaces_by_key["HB"]), b.homepage_id(b.spaces_by_key["HB"]))
        finally:
            shutil.rmtree(tmp)


class GeneratorTest(unittest.TestCase):
    def test_attachment_share_carries_real_files_and_keeps_the_pages(self):
        plain, shared = Store(), Store()
        generate_space(plain, 1200, 4)
        generate_space(shared, 1200, 4, attachment_share=0.1)
        self.assertEqual([(p.id, p.title, p.body_json) for p in plain.pages.values()],
                         [(p.id, p.title, p.body_json) for p in shared.pages.values()])
        files = [a for p in shared.pages.values() for a in p.attachments]
        self.assertTrue(90 <= len(files) <= 150, len(files))
        by_type = {}
        for a in files:
            by_type.setdefault(a.media_type, []).append(a)
        counts = [len(v) for v in by_type.values()]  # PDF, DOCX and TXT in turn
        self.assertEqual(len(counts), 3)
        self.assertLessEqual(max(counts) - min(counts), 1, by_type.keys())
        pdf = by_type["application/pdf"][0]
        self.assertTrue(pdf.data.startswith(b"%PDF-") and pdf.filename.endswith(".pdf"))
        docx = by_type["application/vnd.openxmlformats-officedocument.wordprocessingml.document"][0]
        with zipfile.ZipFile(io.BytesIO(docx.data)) as z:
            self.assertIn("word/document.xml", z.namelist())
        text = by_type["text/plain"][0].data.decode()
        self.assertGreater(len(text), 1000)
        again = Store()
        generate_space(again, 1200, 4, attachment_share=0.1)
        self.assertEqual([(a.filename, a.data) for p in again.pages.values() for a in p.attachments],
                         [(a.filename, a.data) for a in files])

    def test_deterministic_and_realistic(self):
        def digest(seed):
            s = Store()
            generate_space(s, 1500, seed)
            h = hashlib.sha256()
            for pid in sorted(s.pages):
                p = s.pages[pid]
                h.update(repr((pid, p.title, p.parent_id, p.status, p.version.number, p.modified_ms,
                               [x.name for x in p.labels], p.body_json)).encode())
            return h.hexdigest(), s
        (d1, s1), (d2, _), (d3, _) = digest(5), digest(5), digest(6)
        self.assertEqual(d1, d2)
        self.assertNotEqual(d1, d3)
        pages = list(s1.pages.values())
        statuses = {st: sum(p.status == st for p in pages) for st in ("current", "archived", "trashed", "draft")}
        self.assertTrue(all(statuses.values()), statuses)
        self.assertGreater(sum(any(x.name == "template" for x in p.labels) for p in pages), 50)
        self.assertGreater(max(len(s1.ancestors(p)) for p in pages), 4)
        bodies = "".join(p.body for p in pages[:300])
        for construct in ("<h1>", "<h2>", "<table", 'ac:name="code"', "CDATA", 'ac:name="info"', "<ri:page", "<a href",
                          "<ul>", "&nbsp;", "ac:task-list"):
            self.assertIn(construct, bodies)
        self.assertEqual(len({p.title for p in pages}), len(pages))  # titles unique per space
        for p in pages:  # every body is well-formed once wrapped (ns + entity DTD)
            ET.fromstring(WRAP % p.body)

    def test_corpus_bodies_are_real_text_of_4_to_5_kb(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        doc = ('<html><head><title>x</title></head><body><div class="navheader"><p>Prev Next navigation</p></div>'
               '<h2>Routine Vacuuming</h2><p>PostgreSQL databases require periodic maintenance known as '
               '<code class="command">VACUUM</code> &amp; analysis of tables.</p>'
               '<dl><dt><code>--jobs</code></dt><dd><p>Run the given number of vacuum commands in parallel.</p></dd></dl>'
               '<pre class="programlisting">SELECT relname FROM pg_class WHERE x ]]&gt; 1;</pre>'
               '<div class="table"><table><tr><th>Setting</th><th>Default</th></tr><tr><td>autovacuum</td><td>on</td></tr></table></div>'
               '<div class="note"><h3>Note</h3><p>Vacuum never blocks ordinary reads &lt;or&gt; writes of a table.</p></div>'
               '<ul><li><p>To recover disk space.</p></li><li><p>To update statistics.</p></li></ul></body></html>')
        for i in range(3):
            with open(os.path.join(root, "page%d.html" % i), "w") as fh:
                fh.write(doc.replace("Vacuuming", "Vacuuming %d" % i))
        corpus = Corpus.load(root)

        def bodies(seed):
            s = Store()
            generate_space(s, 40, seed, corpus=corpus)
            return s, [s.pages[pid].body for pid in sorted(s.pages)]
        s1, b1 = bodies(4)
        _, b2 = bodies(4)
        plain = Store()
        generate_space(plain, 40, 4)
        self.assertEqual(b1, b2)
        self.assertEqual([p.title for p in s1.pages.values()], [p.title for p in plain.pages.values()])
        for body in b1:
            self.assertTrue(4000 <= len(body.encode()) <= 5000, len(body.encode()))
            for construct in ("<h1>", 'ac:name="code"', "<table", 'ac:name="note"', "<p>", "Related: "):
                self.assertIn(construct, body)
            self.assertNotIn("navigation", body)
            ET.fromstring(WRAP % body)
        self.assertIn("<h2>Routine Vacuuming", "".join(b1))
        self.assertIn("<ri:page", "".join(b1))
        self.assertIn("<strong><code>--jobs</code></strong>", "".join(b1))
        with self.assertRaises(CorpusError):
            Corpus.load(os.path.join(root, "missing"))

    def test_20k_pages_fast_and_listing_fast(self):
        t = time.monotonic()
        srv = RunningServer(generate=20000, sample=False)
        try:
            self.assertLess(time.monotonic() - t, 10.0)
            self.assertEqual(len(srv.store.pages), 20000)
            srv.app.prewarm()
            timings = []
            path = "/wiki/api/v2/spaces/65538/pages?limit=250&body-format=storage"
            total = 0
            while path:
                t1 = time.perf_counter()
                r = srv.client.get(path)
                timings.append(time.perf_counter() - t1)
                doc = json.loads(r.body)
                total += len(doc["results"])
                path = doc["_links"].get("next")
            self.assertGreater(total, 19000)
            timings.sort()
            self.assertLess(timings[len(timings) // 2], 0.05, "median 250-page listing too slow: %.1f ms" % (timings[len(timings) // 2] * 1000))
        finally:
            srv.stop()


class PagesDirTest(unittest.TestCase):
    def make(self, files):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        for rel, text in files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text)
        return root

    def test_minimal_hand_authored_space(self):
        root = self.make({"space.json": '{"key": "DOC"}', "pages/intro.xhtml": "<p>Hi</p>",
                          "pages/intro/02-b.xhtml": "<p>b</p>", "pages/intro/01-a-page.xhtml": "<p>a</p>"})
        store = Store()
        space = load_space_dir(store, root)
        pages = {p.title: p for p in store.pages.values()}
        self.assertEqual(sorted(pages), ["A page", "B", "Intro"])
        self.assertEqual(pages["A page"].parent_id, pages["Intro"].id)
        self.assertEqual(store.child_ids(pages["Intro"]), [pages["A page"].id, pages["B"].id])
        self.assertEqual(store.homepage_id(space), pages["Intro"].id)
        # ids derive from the slug, so they are stable across loads
        again = Store()
        load_space_dir(again, root)
        self.assertEqual(set(again.pages), set(store.pages))

    def test_bundled_sample(self):
        store = Store()
        space = load_space_dir(store, SAMPLE_DIR)
        self.assertEqual((space.key, space.id, store.homepage_id(space)), ("HB", 131073, 300001))
        by_title = {p.title: p for p in store.pages.values()}
        self.assertEqual(by_title["Holidays 2023"].status, "archived")
        self.assertTrue(by_title["Salary bands"].restricted)
        self.assertEqual(by_title["On-call Runbook"].parent_id, by_title["Engineering"].id)
        self.assertEqual([x.name for x in by_title["Meeting notes template"].labels], ["template"])
        for p in store.pages.values():
            ET.fromstring(WRAP % p.body)

    def test_format_errors(self):
        cases = [
            {"space.json": '{"key": "X", "bogus": 1}', "pages/a.xhtml": ""},
            {"space.json": '{"key": "X"}', "pages/a.xhtml": "", "pages/a.json": '{"status": "gone"}'},
            {"space.json": '{"key": "X"}', "pages/a.xhtml": "", "pages/a.json": '{"parent": "nope"}'},
            {"space.json": '{"key": "X"}', "pages/a.xhtml": "", "pages/a.json": '{"colour": "red"}'},
            {"space.json": '{"key": "X"}', "pages/orphan/a.xhtml": ""},
            {"space.json": '{"key": "X"}', "pages/a.txt": ""},
            {"space.json": '{"key": "X"}', "pages/a.xhtml": "", "pages/b.xhtml": "",
             "pages/a.json": '{"id": "5"}', "pages/b.json": '{"id": "5"}'},
        ]
        for files in cases:
            with self.assertRaises(FormatError, msg=files):
                load_space_dir(Store(), self.make(files))


class V1ShapesTest(ServerTestCase):
    server_args = {"generate": 30}

    def test_v1_search_and_content_validate_against_v1_spec(self):
        q = urllib.parse.urlencode({"cql": "space=HB", "expand": "body.storage,version,space,metadata.labels,ancestors,history.lastUpdated,restrictions.read.restrictions.user"})
        doc = self.c.get("/wiki/rest/api/content/search?" + q).json
        self.assertGreater(len(doc["results"]), 4)
        assert_matches_spec(self, doc, "/wiki/rest/api/content/search", spec_path=V1_SPEC)
        doc = self.c.get("/wiki/rest/api/content/300011?expand=body.storage,version,space,metadata.labels,ancestors").json
        self.assertEqual([x["name"] for x in doc["metadata"]["labels"]["results"]], ["runbook", "oncall"])
        self.assertEqual([a["title"] for a in doc["ancestors"]], ["Engineering"])
        assert_matches_spec(self, doc, "/wiki/rest/api/content/{id}", spec_path=V1_SPEC)
        default = self.c.get("/wiki/rest/api/content/300011").json
        self.assertEqual(sorted(k for k in ("space", "history", "version", "body") if k in default), ["history", "space", "version"])
        assert_matches_spec(self, default, "/wiki/rest/api/content/{id}", spec_path=V1_SPEC)

    def test_attachment_download_redirect(self):
        r = self.c.get("/wiki/rest/api/content/300011/child/attachment/%s/download" % self.srv.store.pages[300011].attachments[0].att_id)
        self.assertEqual(r.status, 302)
        loc = r.header("Location")
        self.assertTrue(loc.startswith(self.srv.base + "/wiki/download/attachments/300011/escalation.txt"), loc)
        data = self.c.get(loc[len(self.srv.base):])
        self.assertEqual(data.status, 200)
        self.assertTrue(data.body.startswith(b"SEV1"))
        self.assertEqual(self.c.get("/wiki/rest/api/content/300011/child/attachment/att1/download").status, 404)
        v2 = self.c.get("/wiki/api/v2/pages/300011/attachments").json["results"][0]
        self.assertEqual(self.c.get("/wiki" + v2["downloadLink"]).body, data.body)


if __name__ == "__main__":
    unittest.main()
