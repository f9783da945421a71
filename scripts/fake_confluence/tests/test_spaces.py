"""Space listings (v2 ``/spaces``, DC ``/rest/api/space``) and the admin API for whole spaces."""

import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import PAT, RunningServer, ServerTestCase, assert_matches_spec, follow_v2  # noqa: E402

V2 = "/wiki/api/v2"


class CloudSpacesTest(ServerTestCase):
    server_args = {"generate": 30, "sample": True}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for body in ({"key": "OPS", "id": 70001, "generate": 40, "seed": 3},
                     {"key": "~alice", "id": 70002, "type": "personal"},
                     {"key": "OLD", "id": 70003, "status": "archived"},
                     {"key": "HIDDEN", "id": 70004, "visible": False}):
            r = cls.c.post("/_fake/spaces", body)
            assert r.status == 201, r.text

    def test_every_visible_space_once_over_several_pages(self):
        want = sorted(s.id for s in self.srv.store.spaces.values() if s.visible)
        for limit in (1, 2, 250):
            got = [int(s["id"]) for s in follow_v2(self.c, V2 + "/spaces?limit=%d" % limit,
                                                  check=lambda doc, _r: assert_matches_spec(self, doc, "/spaces"))]
            self.assertEqual(got, want, limit)  # id order, nothing twice, the hidden space absent

    def test_status_and_type_filters(self):
        current = {s["key"] for s in follow_v2(self.c, V2 + "/spaces?limit=2&status=current")}
        self.assertEqual(current, {"GEN", "HB", "OPS", "~alice"})
        archived = {s["key"] for s in follow_v2(self.c, V2 + "/spaces?limit=2&status=archived")}
        self.assertEqual(archived, {"OLD"})
        personal = follow_v2(self.c, V2 + "/spaces?type=personal")
        self.assertEqual([(s["key"], s["type"]) for s in personal], [("~alice", "personal")])

    def test_generated_space_pages_follow_existing_ids(self):
        ops = self.srv.store.spaces_by_key["OPS"]
        self.assertEqual(len(ops.page_ids), 40)
        others = [pid for pid in self.srv.store.all_page_ids if pid not in set(ops.page_ids)]
        self.assertGreater(min(ops.page_ids), max(others))
        got = follow_v2(self.c, V2 + "/spaces/70001/pages?limit=250&status=current")
        self.assertTrue(got and all(p["spaceId"] == "70001" for p in got))

    def test_delete_space_purges_it_and_its_pages(self):
        r = self.c.post("/_fake/spaces", {"key": "TMP", "id": 70009, "generate": 5})
        self.assertEqual(r.status, 201)
        ids = list(self.srv.store.spaces_by_key["TMP"].page_ids)
        r = self.c.request("DELETE", "/_fake/spaces/TMP")
        self.assertEqual((r.status, r.json), (200, {"deleted": "TMP", "pages": 5}))
        self.assertEqual(self.c.get(V2 + "/spaces/70009").status, 404)
        self.assertEqual(self.c.get(V2 + "/pages/%d" % ids[0]).status, 404)
        self.assertNotIn("TMP", {s["key"] for s in follow_v2(self.c, V2 + "/spaces?limit=250")})
        self.assertEqual(self.c.request("DELETE", "/_fake/spaces/TMP").status, 404)

    def test_archive_a_space_through_the_admin_api(self):
        self.c.post("/_fake/spaces", {"key": "ARC", "id": 70010})
        self.assertEqual(self.c.post("/_fake/spaces/ARC", {"status": "archived"}).json["status"], "archived")
        self.assertNotIn("ARC", {s["key"] for s in follow_v2(self.c, V2 + "/spaces?limit=250&status=current")})
        self.assertEqual(self.c.post("/_fake/spaces/ARC", {"status": "gone"}).status, 400)
        self.assertEqual(self.c.request("DELETE", "/_fake/spaces/ARC").status, 200)


class DataCenterSpacesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = RunningServer(generate=10, sample=True, mode="dc", context_path="/confluence", email=None, token=None, pat=PAT)
        cls.c = cls.srv.client
        cls.hdr = {"Authorization": "Bearer " + PAT}
        for body in ({"key": "OPS", "generate": 5}, {"key": "~bob", "type": "personal"},
                     {"key": "OLD", "status": "archived"}, {"key": "ZED"}):
            assert cls.c.post("/_fake/spaces", body).status == 201

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def tearDown(self):
        self.c.post("/_fake/faults", {"dcLimitCap": 0})

    def walk(self, query):
        """Follows ``next`` with start = previous start + len(results) (what a correct client does)."""
        keys, path = [], "/confluence/rest/api/space?" + query
        while path:
            doc = self.c.get(path, headers=self.hdr).json
            self.assertEqual(doc["size"], len(doc["results"]))
            keys += [s["key"] for s in doc["results"]]
            nxt = doc["_links"].get("next")
            if not nxt:
                break
            self.assertTrue(nxt.startswith("/rest/api/space?"), nxt)
            parts = urllib.parse.urlsplit(nxt)
            q = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "start"]
            q.append(("start", str(doc["start"] + len(doc["results"]))))
            path = "/confluence" + parts.path + "?" + urllib.parse.urlencode(q)
            self.assertLess(len(keys), 100)
        return keys

    def test_offsets_filters_and_limit_cap(self):
        everything = sorted(s.key for s in self.srv.store.spaces.values())
        self.assertEqual(self.walk("limit=2&start=0"), everything)
        self.assertEqual(self.walk("limit=2&start=0&status=current"), [k for k in everything if k != "OLD"])
        self.assertEqual(self.walk("limit=2&start=0&status=archived"), ["OLD"])
        self.assertEqual(self.walk("type=personal"), ["~bob"])
        self.c.post("/_fake/faults", {"dcLimitCap": 1})
        first = self.c.get("/confluence/rest/api/space?limit=3&start=0", headers=self.hdr).json
        self.assertEqual((first["limit"], len(first["results"])), (1, 1))
        self.assertIn("start=3", first["_links"]["next"])  # jumps by the requested limit, like content listings
        self.assertEqual(self.walk("limit=3&start=0"), everything)
        self.assertEqual(self.c.get("/confluence/rest/api/space?status=gone", headers=self.hdr).status, 400)

    def test_anonymous_callers_see_public_spaces_only(self):
        self.assertEqual(self.c.get("/confluence/rest/api/space", headers={"Authorization": "Bearer wrong"}).json["results"], [])


if __name__ == "__main__":
    unittest.main()
