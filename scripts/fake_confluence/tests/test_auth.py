"""Auth failures and invisibility use the real response shapes."""

import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import PAT, RunningServer, ServerTestCase, basic  # noqa: E402

V2 = "/wiki/api/v2"
HB = 131073
DEPRECATED = ("Basic authentication with passwords is deprecated.  For more information, see: "
              "https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/")
NOT_FOUND_V2 = {"errors": [{"status": 404, "code": "NOT_FOUND", "title": "Not Found", "detail": None}]}
SALARY = "Salary bands"


class CloudAuthTest(ServerTestCase):
    server_args = {"generate": 30}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.c.post("/_fake/spaces", {"key": "SECRET", "name": "Secret", "id": 777001, "visible": False})
        assert r.status == 201, r.body
        r = cls.c.post("/_fake/pages", {"spaceKey": "SECRET", "title": "Hidden plan", "id": 777100})
        assert r.status == 201, r.body
        r = cls.c.post("/_fake/spaces", {"key": "PUB", "name": "Public", "id": 777002, "public": True})
        r = cls.c.post("/_fake/pages", {"spaceKey": "PUB", "title": "Open page", "id": 777200})
        assert r.status == 201, r.body
        cls.salary_id = next(p.id for p in cls.srv.store.pages.values() if p.title == SALARY)

    def test_bad_basic_credentials(self):
        for hdr in (basic("dev@example.com", "wrong"), basic("other@example.com", "tok-123"), {"Authorization": "Basic !!notbase64"}):
            for path in (V2 + "/spaces", "/wiki/rest/api/content/300001", "/wiki/rest/api/content/search?cql=type%3Dpage"):
                r = self.srv.anon.get(path, headers=hdr)
                self.assertEqual(r.status, 401, path)
                self.assertEqual(r.text, DEPRECATED)
                self.assertTrue(r.header("Content-Type").startswith("text/plain"))
                self.assertEqual(r.header("Server"), "AtlassianProxy")

    def test_scope_mismatch(self):
        self.assertEqual(self.c.post("/_fake/faults", {"scopedTokenMismatch": True}).status, 200)
        try:
            r = self.c.get(V2 + "/spaces")
            self.assertEqual(r.status, 401)
            self.assertEqual(r.json, {"code": 401, "message": "Unauthorized; scope does not match"})
            self.assertEqual(r.header("X-Failure-Category"), "FAILURE_CLIENT_SCOPE_CHECK")
        finally:
            self.c.post("/_fake/faults", {"scopedTokenMismatch": False})
        self.assertEqual(self.c.get(V2 + "/spaces").status, 200)

    def test_hidden_space_looks_missing(self):
        self.assertEqual(self.c.get(V2 + "/spaces?keys=SECRET").json["results"], [])
        keys = {s["key"] for s in self.c.get(V2 + "/spaces?limit=250").json["results"]}
        self.assertEqual(keys, {"HB", "GEN", "PUB"})
        for hidden, missing in (("/spaces/777001", "/spaces/777999"), ("/spaces/777001/pages", "/spaces/777999/pages"),
                                ("/pages/777100", "/pages/777999"), ("/pages/777100/children", "/pages/777999/children")):
            a, b = self.c.get(V2 + hidden), self.c.get(V2 + missing)
            self.assertEqual((a.status, a.json), (404, NOT_FOUND_V2), hidden)
            self.assertEqual((a.status, a.body), (b.status, b.body))
        self.assertEqual(self.c.get(V2 + "/pages?id=777100").json["results"], [])
        a, b = self.c.get("/wiki/rest/api/space/SECRET"), self.c.get("/wiki/rest/api/space/NOPE")
        self.assertEqual(a.status, 404)
        self.assertEqual(a.json, {"statusCode": 404, "data": {"authorized": False, "valid": True, "errors": [], "successful": False},
                                  "message": "No space with key : SECRET"})
        self.assertEqual(a.json["data"], b.json["data"])
        r = self.c.get("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": "space = SECRET"}))
        self.assertEqual((r.status, r.json["results"]), (200, []))
        # making it visible again (admin) exposes it
        self.c.post("/_fake/spaces/SECRET", {"visible": True})
        try:
            self.assertEqual(self.c.get(V2 + "/pages/777100").status, 200)
        finally:
            self.c.post("/_fake/spaces/SECRET", {"visible": False})

    def test_restricted_page_invisible(self):
        sid = self.salary_id
        self.assertEqual(self.c.get(V2 + "/pages/%d" % sid).json, NOT_FOUND_V2)
        r = self.c.get("/wiki/rest/api/content/%d" % sid)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json["statusCode"], 404)
        self.assertFalse(r.json["data"]["successful"])
        titles = [p["title"] for p in self.c.get(V2 + "/spaces/%d/pages?limit=250" % HB).json["results"]]
        self.assertIn("Holidays 2023", titles)
        self.assertNotIn(SALARY, titles)
        search = self.c.get("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": "space=HB", "limit": 100})).json
        self.assertNotIn(SALARY, [x["title"] for x in search["results"]])

    def test_anonymous_sees_only_public(self):
        anon = self.srv.anon
        self.assertEqual([s["key"] for s in anon.get(V2 + "/spaces").json["results"]], ["PUB"])
        self.assertEqual(anon.get(V2 + "/spaces/%d" % HB).json, NOT_FOUND_V2)
        self.assertEqual(anon.get(V2 + "/pages/777200").status, 200)
        self.assertEqual(anon.get("/wiki/rest/api/content/300001").status, 404)


class DataCenterAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = RunningServer(generate=20, mode="dc", email="admin", token="pw", pat=PAT)
        cls.c = cls.srv.anon
        cls.c.post("/_fake/spaces/HB", {"public": True})

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_wrong_pat_is_anonymous_not_401(self):
        bad = {"Authorization": "Bearer not-the-pat"}
        r = self.c.get("/rest/api/content?spaceKey=GEN&type=page", headers=bad)
        self.assertEqual((r.status, r.json["results"], r.json["size"]), (200, [], 0))
        r = self.c.get("/rest/api/space/GEN", headers=bad)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json["message"], "No space with key : GEN")
        r = self.c.get("/rest/api/content?spaceKey=HB&type=page&limit=50", headers=bad)  # public space
        self.assertEqual(r.status, 200)
        self.assertGreater(len(r.json["results"]), 3)
        good = {"Authorization": "Bearer " + PAT}
        self.assertEqual(len(self.c.get("/rest/api/content?spaceKey=GEN&limit=10", headers=good).json["results"]), 10)
        self.assertEqual(self.c.get("/rest/api/space/GEN", headers=good).json["key"], "GEN")

    def test_wrong_basic_is_401_html(self):
        r = self.c.get("/rest/api/content?spaceKey=GEN", headers=basic("admin", "nope"))
        self.assertEqual(r.status, 401)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        self.assertIn("Basic Authentication Failure - Reason : AUTHENTICATED_FAILED", r.text)

    def test_no_wiki_prefix_and_no_v2_in_dc(self):
        good = {"Authorization": "Bearer " + PAT}
        self.assertEqual(self.c.get("/wiki/api/v2/spaces", headers=good).status, 404)
        doc = self.c.get("/rest/api/content/300011?expand=body.storage,version,ancestors", headers=good).json
        self.assertEqual(doc["_links"]["webui"], "/display/HB/On-call+Runbook")
        self.assertEqual(doc["version"]["by"]["username"], "fake.user")
        self.assertEqual([a["title"] for a in doc["ancestors"]], ["Engineering"])


if __name__ == "__main__":
    unittest.main()
