"""Pagination returns every page exactly once: v2 cursors, v1 search cursors, DC offsets (with quirks)."""

import os
import sys
import threading
import time
import unittest
import urllib.parse
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import PAT, Client, RunningServer, ServerTestCase, basic, follow_v2, parse_qs  # noqa: E402

V2 = "/wiki/api/v2"
GEN = 65538
SEARCH_ALL = "type=page and space=GEN order by lastmodified asc"


def expected_ids(store, space_id, statuses=("current", "archived")):
    return {p.id for p in store.pages.values() if p.space_id == space_id and p.status in statuses and not p.restricted}


class V2CursorTest(ServerTestCase):
    server_args = {"generate": 1200, "sample": False}

    def test_every_page_once_for_each_sort_and_limit(self):
        want = expected_ids(self.srv.store, GEN)
        self.assertGreater(len(want), 1100)
        for query in ("limit=250", "limit=37", "limit=250&sort=-id", "limit=100&sort=title",
                      "limit=99&sort=-modified-date", "limit=250&sort=created-date"):
            got = [int(p["id"]) for p in follow_v2(self.c, V2 + "/spaces/%d/pages?%s" % (GEN, query))]
            self.assertEqual(len(got), len(set(got)), "duplicates with " + query)
            self.assertEqual(set(got), want, query)
            if "sort" not in query:
                self.assertEqual(got, sorted(got))
            if "sort=-id" in query:
                self.assertEqual(got, sorted(got, reverse=True))
        titles = [p["title"].lower() for p in follow_v2(self.c, V2 + "/pages?space-id=%d&limit=250&sort=-title" % GEN)]
        self.assertEqual(titles, sorted(titles, reverse=True))

    def test_status_filters(self):
        store = self.srv.store
        for statuses in (("trashed",), ("archived",), ("current",), ("current", "archived", "trashed")):
            q = "&".join("status=" + s for s in statuses)
            got = {int(p["id"]) for p in follow_v2(self.c, V2 + "/spaces/%d/pages?limit=250&%s" % (GEN, q))}
            self.assertEqual(got, expected_ids(store, GEN, statuses), statuses)
        roots = {int(p["id"]) for p in follow_v2(self.c, V2 + "/spaces/%d/pages?depth=root&limit=250" % GEN)}
        self.assertEqual(roots, {p.id for p in store.pages.values() if p.parent_id is None and p.status in ("current", "archived")})


class ConcurrentClientsTest(ServerTestCase):
    server_args = {"generate": 900, "sample": False}

    def test_parallel_listings_each_complete(self):
        want = expected_ids(self.srv.store, GEN)
        results, errors = {}, []

        def worker(n):
            client = Client(self.srv.port, basic())
            try:
                limit = 25 + 40 * n
                results[n] = [int(p["id"]) for p in follow_v2(client, V2 + "/spaces/%d/pages?limit=%d&body-format=storage" % (GEN, limit))]
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                client.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(sorted(results), list(range(6)))
        for n, ids in results.items():
            self.assertEqual(sorted(ids), sorted(want), n)
            self.assertEqual(len(ids), len(want), n)


class V2CursorUnderEditsTest(ServerTestCase):
    server_args = {"generate": 800, "sample": False}

    def test_stable_across_concurrent_edits(self):
        store = self.srv.store
        initial = expected_ids(store, GEN)
        order = sorted(initial)
        path = V2 + "/spaces/%d/pages?limit=50&body-format=storage" % GEN
        seen = []
        deleted, deleted_ahead, created = set(), set(), set()
        step = 0
        while path:
            doc = self.c.get(path).json
            seen.extend(int(p["id"]) for p in doc["results"])
            path = doc["_links"].get("next")
            step += 1
            if step in (2, 5, 9):
                last = seen[-1]
                ahead = [i for i in order if i > last and i not in deleted]
                behind = [i for i in order if i <= last and i not in deleted]
                # delete pages not seen yet and some already seen
                for pid in ahead[:3] + behind[:2]:
                    self.assertEqual(self.c.request("DELETE", "/_fake/pages/%d" % pid).status, 200)
                    deleted.add(pid)
                deleted_ahead.update(ahead[:3])
                # edit/move/rename pages on both sides of the cursor
                for pid in ahead[5:8] + behind[3:6]:
                    self.assertEqual(self.c.post("/_fake/pages/%d/edit" % pid, {"body": "<p>new %d</p>" % step}).status, 200)
                self.assertEqual(self.c.post("/_fake/pages/%d/move" % ahead[10], {"parentId": None, "title": "Moved %d" % step}).status, 200)
                r = self.c.post("/_fake/pages", {"spaceKey": "GEN", "title": "Created during listing %d" % step})
                self.assertEqual(r.status, 201)
                created.add(int(r.json["id"]))
        counts = Counter(seen)
        self.assertEqual([i for i, n in counts.items() if n > 1], [], "duplicates")
        survivors = initial - deleted
        self.assertEqual(survivors - set(seen), set(), "untouched pages skipped")
        self.assertTrue(created <= set(seen), "pages created ahead of the cursor (higher ids) must appear")
        self.assertEqual(deleted_ahead & set(seen), set(), "pages deleted before the cursor reached them must not appear")
        self.assertEqual(len(deleted_ahead), 9)


class V1SearchCursorTest(ServerTestCase):
    server_args = {"generate": 700, "sample": True}

    def follow(self, first):
        results, path, pages = [], first, []
        base = None
        while path:
            r = self.c.get(path)
            self.assertEqual(r.status, 200, r.body[:300])
            doc = r.json
            base = doc["_links"]["base"]
            self.assertEqual(base, self.srv.base + "/wiki")
            self.assertEqual(doc["size"], len(doc["results"]))
            results.extend(doc["results"])
            pages.append(doc)
            nxt = doc["_links"].get("next")
            if nxt:
                self.assertTrue(nxt.startswith("/rest/api/content/search?"), nxt)
                self.assertIn("cursor=", nxt)
                path = urllib.parse.urlsplit(base).path + nxt  # join to _links.base
            else:
                path = None
        return results, pages

    def test_cursor_returns_every_current_page_once_in_order(self):
        q = urllib.parse.urlencode({"cql": SEARCH_ALL, "limit": 60, "expand": "body.storage,version,space,metadata.labels,ancestors"})
        results, pages = self.follow("/wiki/rest/api/content/search?" + q)
        ids = [int(x["id"]) for x in results]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(set(ids), expected_ids(self.srv.store, GEN, ("current",)))
        whens = [x["version"]["when"] for x in results]
        self.assertEqual(whens, sorted(whens))
        self.assertTrue(all(x["space"]["key"] == "GEN" and "storage" in x["body"] for x in results))
        # prev link of page 3 gives exactly page 2
        prev = pages[2]["_links"]["prev"]
        self.assertTrue(prev.startswith("/rest/api/content/search?"))
        back = self.c.get("/wiki" + prev).json
        self.assertEqual([x["id"] for x in back["results"]], [x["id"] for x in pages[1]["results"]])

    def test_lastmodified_watermark_and_space_forms(self):
        store = self.srv.store
        mods = sorted(p.modified_ms for p in store.pages.values() if p.space_id == GEN and p.status == "current")
        cut = mods[len(mods) // 2]
        stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(cut / 1000))
        cut_minute = (cut // 60000) * 60000
        for space_expr in ("space=GEN", "space='GEN'", 'space = "GEN"', "space in (GEN, HB)"):
            cql = "type=page and %s and lastmodified >= '%s' order by lastmodified asc" % (space_expr, stamp)
            results, _ = self.follow("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": cql, "limit": 250, "expand": "version"}))
            ids = {int(x["id"]) for x in results}
            want = {p.id for p in store.pages.values() if p.status == "current" and not p.restricted and p.modified_ms >= cut_minute
                    and (p.space_id == GEN or (space_expr.startswith("space in") and p.space_id == 131073))}
            self.assertEqual(ids, want, space_expr)
        r = self.c.get("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": "type=page and space=HB and label = template"}))
        self.assertEqual([x["title"] for x in r.json["results"]], ["Meeting notes template"])

    def test_invalid_cql_is_400(self):
        for cql in ("type=page and", "nosuchfield = 1", "lastmodified >= 'yesterday'", "space = GEN order lastmodified", ""):
            r = self.c.get("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": cql}))
            self.assertEqual(r.status, 400, cql)
            self.assertEqual(r.json["statusCode"], 400)
            self.assertIn("message", r.json)


class DataCenterOffsetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = RunningServer(generate=1000, sample=False, mode="dc", context_path="/confluence", email="admin", token="pw", pat=PAT)
        cls.c = cls.srv.client
        cls.want = sorted(expected_ids(cls.srv.store, GEN, ("current",)))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def walk(self, first, correct):
        """Follow ``next``; with ``correct`` fix start to previous start + len(results) (Onyx-style)."""
        out, path, hops = [], first, 0
        while path:
            doc = self.c.get(path, headers={"Authorization": "Bearer " + PAT}).json
            self.assertEqual(doc["_links"]["base"], self.srv.base + "/confluence")
            self.assertEqual(doc["_links"]["context"], "/confluence")
            out.extend(int(x["id"]) for x in doc["results"])
            nxt = doc["_links"].get("next")
            if not nxt:
                break
            self.assertTrue(nxt.startswith("/rest/api/"), nxt)
            if correct:
                parts = urllib.parse.urlsplit(nxt)
                q = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "start"]
                q.append(("start", str(doc["start"] + len(doc["results"]))))
                nxt = parts.path + "?" + urllib.parse.urlencode(q)
            path = "/confluence" + nxt
            hops += 1
            self.assertLess(hops, 1000)
        return out

    def set_faults(self, **kw):
        self.assertEqual(self.c.post("/_fake/faults", kw).status, 200)

    def tearDown(self):
        self.set_faults(dcLimitCap=0, dcOvershootBug=False)

    def test_offsets_without_quirks(self):
        got = self.walk("/confluence/rest/api/content?spaceKey=GEN&type=page&limit=70&expand=version", correct=False)
        self.assertEqual(got, self.want)

    def test_limit_cap_skips_unless_start_is_corrected(self):
        self.set_faults(dcLimitCap=40)
        first = self.c.get("/confluence/rest/api/content?spaceKey=GEN&type=page&limit=100", headers={"Authorization": "Bearer " + PAT}).json
        self.assertEqual((first["limit"], len(first["results"])), (40, 40))
        self.assertEqual(parse_qs(first["_links"]["next"])["start"], ["100"])  # jumps by the requested limit
        naive = self.walk("/confluence/rest/api/content?spaceKey=GEN&type=page&limit=100", correct=False)
        self.assertLess(len(naive), len(self.want) * 0.6)  # the quirk really skips records
        fixed = self.walk("/confluence/rest/api/content?spaceKey=GEN&type=page&limit=100", correct=True)
        self.assertEqual(fixed, self.want)
        cql = urllib.parse.urlencode({"cql": "type=page and space=GEN", "limit": 100})
        self.assertEqual(sorted(self.walk("/confluence/rest/api/content/search?" + cql, correct=True)), self.want)

    def test_overshoot_bug(self):
        n = len(self.want)
        path = "/confluence/rest/api/content?spaceKey=GEN&type=page&limit=25&start=%d" % (n + 5)
        hdr = {"Authorization": "Bearer " + PAT}
        self.assertEqual(self.c.get(path, headers=hdr).json["results"], [])
        self.set_faults(dcOvershootBug=True)
        doc = self.c.get(path, headers=hdr).json
        self.assertEqual([int(x["id"]) for x in doc["results"]], [self.want[-1]])
        self.assertNotIn("next", doc["_links"])

    def test_basic_auth_also_works(self):
        r = self.c.get("/confluence/rest/api/content?spaceKey=GEN&limit=5", headers=basic("admin", "pw"))
        self.assertEqual(len(r.json["results"]), 5)


if __name__ == "__main__":
    unittest.main()
