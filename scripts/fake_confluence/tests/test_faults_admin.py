"""Throttling, injected failures, latency, stats and the admin API."""

import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import PAT, RunningServer, ServerTestCase  # noqa: E402

V2 = "/wiki/api/v2"
RESET_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$")


class RateLimitTest(unittest.TestCase):
    def setUp(self):
        self.srv = RunningServer(generate=10, rate_limit=0.5, burst=5)  # slow refill: no flakiness
        self.c = self.srv.client

    def tearDown(self):
        self.srv.stop()

    def test_429_headers_and_recovery(self):
        statuses, last_ok = [], None
        for _ in range(5):
            r = self.c.get(V2 + "/spaces")
            statuses.append(r.status)
            last_ok = r
        self.assertEqual(statuses, [200] * 5)
        self.assertEqual(last_ok.header("X-RateLimit-Limit"), "5")
        self.assertEqual(last_ok.header("X-RateLimit-NearLimit"), "true")  # 0 of 5 left < 20%
        r = self.c.get(V2 + "/spaces")
        self.assertEqual(r.status, 429)
        retry = int(r.header("Retry-After"))
        self.assertGreaterEqual(retry, 1)
        self.assertEqual(r.header("X-RateLimit-Limit"), "5")
        self.assertEqual(r.header("X-RateLimit-Remaining"), "0")
        self.assertRegex(r.header("X-RateLimit-Reset"), RESET_RE)
        self.assertEqual(r.header("X-RateLimit-NearLimit"), "true")
        self.assertEqual(r.header("RateLimit-Reason"), "confluence-quota-tenant-based")
        self.assertEqual(r.json["errors"][0]["status"], 429)
        # v1 endpoints are throttled too; admin endpoints never are
        self.assertEqual(self.c.get("/wiki/rest/api/content/300001").status, 429)
        self.assertEqual(self.c.get("/_fake/stats").status, 200)
        time.sleep(retry)
        self.assertEqual(self.c.get(V2 + "/spaces").status, 200)
        stats = self.c.get("/_fake/stats").json
        self.assertEqual(stats["rateLimited"], 2)
        self.assertEqual(stats["byStatus"]["429"], 2)

    def test_gateway_style_429_without_retry_after(self):
        self.c.post("/_fake/faults", {"noRetryAfter": True, "rateLimit": 0.2, "burst": 1})
        self.assertEqual(self.c.get(V2 + "/spaces").status, 200)
        r = self.c.get(V2 + "/spaces")
        self.assertEqual(r.status, 429)
        self.assertIsNone(r.header("Retry-After"))
        self.assertEqual(r.header("X-Failure-Category"), "FAILURE CLIENT RATE LIMITED")
        self.assertRegex(r.header("X-RateLimit-Reset"), RESET_RE)

    def test_turning_rate_limit_off(self):
        self.c.post("/_fake/faults", {"rateLimit": 0})
        self.assertEqual({self.c.get(V2 + "/spaces").status for _ in range(20)}, {200})


class FailureInjectionTest(ServerTestCase):
    server_args = {"generate": 10}

    def tearDown(self):
        self.c.post("/_fake/faults", {"failRate": 0, "latencyMs": 0, "failStatuses": [500, 502, 503]})

    def test_each_status_shape(self):
        self.c.post("/_fake/faults", {"failRate": 1.0, "failStatuses": [502]})
        r = self.c.get(V2 + "/spaces")
        self.assertEqual(r.status, 502)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        self.assertIn("502 Bad Gateway", r.text)
        self.c.post("/_fake/faults", {"failStatuses": [503], "failRetryAfter": 2})
        r = self.c.get(V2 + "/pages/300001")
        self.assertEqual((r.status, r.header("Retry-After")), (503, "2"))
        self.c.post("/_fake/faults", {"failStatuses": [500]})
        r = self.c.get(V2 + "/pages/300001")
        self.assertEqual((r.status, r.json["errors"][0]["code"]), (500, "INTERNAL_SERVER_ERROR"))
        r = self.c.get("/wiki/rest/api/content/300001")
        self.assertEqual((r.status, r.json["statusCode"]), (500, 500))

    def test_partial_rate_is_reproducible_with_seed(self):
        def sequence():
            srv = RunningServer(generate=5, seed=42, fail_rate=0.5)
            try:
                return [srv.client.get(V2 + "/spaces").status for _ in range(40)]
            finally:
                srv.stop()
        a, b = sequence(), sequence()
        self.assertEqual(a, b)
        self.assertTrue(set(a) > {200}, a)
        self.assertIn(200, a)

    def test_latency(self):
        self.c.post("/_fake/faults", {"latencyMs": 400})
        t = time.monotonic()
        self.assertEqual(self.c.get(V2 + "/spaces").status, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.4)
        t = time.monotonic()
        self.c.get("/_fake/stats")  # admin is never delayed
        self.assertLess(time.monotonic() - t, 0.3)

    def test_bad_fault_settings_rejected(self):
        for bad in ({"failRate": 2}, {"nope": 1}, {"failStatuses": [404]}, {"latencyMs": -1}, {"noRetryAfter": "yes"}):
            self.assertEqual(self.c.post("/_fake/faults", bad).status, 400, bad)


class StatsTest(ServerTestCase):
    server_args = {"generate": 60}

    def test_counts(self):
        self.c.post("/_fake/stats/reset")
        self.c.get(V2 + "/spaces/65538/pages?limit=20&body-format=storage")
        self.c.get(V2 + "/spaces/65538/pages?limit=20")
        self.c.get(V2 + "/pages/300001?body-format=storage")
        self.c.get("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": "space=HB", "expand": "body.storage", "limit": 3}))
        self.srv.anon.get(V2 + "/spaces", headers={"Authorization": "Basic eDp5"})
        s = self.c.get("/_fake/stats").json
        self.assertEqual(s["requests"], 5)
        self.assertEqual(s["byKind"], {"v2.space_pages": 2, "v2.page": 1, "v1.search": 1, "v2.spaces": 1})
        self.assertEqual(s["pagesServedWithBody"], 20 + 1 + 3)
        self.assertEqual(s["authFailures"], 1)
        self.assertEqual(s["byStatus"], {"200": 4, "401": 1})
        self.c.post("/_fake/stats/reset")
        self.assertEqual(self.c.get("/_fake/stats").json["requests"], 0)


class AdminTest(ServerTestCase):
    server_args = {"generate": 50}

    def page(self, pid, query=""):
        r = self.c.get(V2 + "/pages/%s%s" % (pid, query))
        return r.status, (r.json if r.status == 200 else None)

    def test_create_edit_move_archive_labels_delete(self):
        r = self.c.post("/_fake/pages", {"spaceKey": "HB", "title": "Brand new", "body": "<p>hello</p>", "parentId": "300011", "labels": ["x"]})
        self.assertEqual(r.status, 201, r.body)
        pid = r.json["id"]
        status, doc = self.page(pid, "?body-format=storage")
        self.assertEqual((status, doc["version"]["number"], doc["parentId"], doc["body"]["storage"]["value"]), (200, 1, "300011", "<p>hello</p>"))
        kids = [k["id"] for k in self.c.get(V2 + "/pages/300011/children").json["results"]]
        self.assertIn(pid, kids)

        before = doc["version"]["createdAt"]
        r = self.c.post("/_fake/pages/%s/edit" % pid, {"body": "<p>changed</p>", "message": "fix typo"})
        self.assertEqual(r.json["version"], 2)
        _, doc = self.page(pid, "?body-format=storage")
        self.assertEqual((doc["version"]["number"], doc["version"]["message"], doc["body"]["storage"]["value"]), (2, "fix typo", "<p>changed</p>"))
        self.assertGreaterEqual(doc["version"]["createdAt"], before)
        old = self.page(pid, "?body-format=storage&version=1")[1]
        self.assertEqual(old["body"]["storage"]["value"], "<p>hello</p>")
        stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() - 120))
        cql = "type=page and space=HB and lastmodified >= '%s' order by lastmodified asc" % stamp
        found = self.c.get("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": cql})).json["results"]
        self.assertEqual([x["id"] for x in found], [pid])

        r = self.c.post("/_fake/pages/%s/move" % pid, {"parentId": "300001", "title": "Renamed"})
        self.assertEqual(r.json["version"], 3)
        _, doc = self.page(pid)
        self.assertEqual((doc["title"], doc["parentId"]), ("Renamed", "300001"))
        anc = self.c.get(V2 + "/pages/%s/ancestors" % pid).json["results"]
        self.assertEqual([a["id"] for a in anc], ["300001"])
        r = self.c.post("/_fake/pages/%s/move" % pid, {"parentId": None})
        _, doc = self.page(pid)
        self.assertNotIn("parentId", doc)
        self.assertEqual(doc["version"]["number"], 4)

        r = self.c.post("/_fake/pages/%s/labels" % pid, {"labels": ["alpha", "beta"]})
        labels = self.c.get(V2 + "/pages/%s/labels" % pid).json["results"]
        self.assertEqual(sorted(x["name"] for x in labels), ["alpha", "beta"])
        self.assertEqual(self.page(pid)[1]["version"]["number"], 4)  # labels are not versioned

        self.c.post("/_fake/pages/%s/archive" % pid)
        _, doc = self.page(pid)
        self.assertEqual((doc["status"], doc["version"]["number"]), ("archived", 5))
        search = self.c.get("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": "id = %s" % pid})).json
        self.assertEqual(search["results"], [])  # search shows current content only
        search = self.c.get("/wiki/rest/api/content/search?" + urllib.parse.urlencode({"cql": "id = %s and status = archived" % pid})).json
        self.assertEqual(len(search["results"]), 1)

        self.assertEqual(self.c.request("DELETE", "/_fake/pages/%s" % pid).status, 200)
        self.assertEqual(self.page(pid)[0], 404)
        self.assertEqual(self.c.request("DELETE", "/_fake/pages/%s" % pid).status, 404)

    def test_delete_moves_children_up(self):
        store = self.srv.store
        parent = next(p for p in store.pages.values() if p.space_id == 65538 and p.parent_id is not None and store.child_ids(p))
        kids = store.child_ids(parent)
        self.assertEqual(self.c.post("/_fake/pages/%d/delete" % parent.id).status, 200)
        for k in kids:
            self.assertEqual(self.c.get("/_fake/pages/%d" % k).json["parentId"], str(parent.parent_id))

    def test_admin_errors(self):
        self.assertEqual(self.c.post("/_fake/pages/123/edit").status, 404)
        self.assertEqual(self.c.request("POST", "/_fake/pages", headers={"Content-Type": "application/json"}).status, 400)
        self.assertEqual(self.c.post("/_fake/pages", {"spaceKey": "HB"}).status, 400)  # title missing
        self.assertEqual(self.c.post("/_fake/pages/300011/status", {"status": "bogus"}).status, 400)
        self.assertEqual(self.c.post("/_fake/nope").status, 404)
        self.assertEqual(self.c.post("/_fake/pages/300011/move", {"parentId": "300011"}).status, 400)


class DataCenterRateLimitTest(unittest.TestCase):
    def test_dc_headers(self):
        srv = RunningServer(generate=5, mode="dc", pat=PAT, email=None, token=None, rate_limit=0.25, burst=1)
        try:
            hdr = {"Authorization": "Bearer " + PAT}
            ok = srv.anon.get("/rest/api/space/GEN", headers=hdr)
            self.assertEqual((ok.status, ok.header("X-RateLimit-FillRate"), ok.header("retry-after")), (200, "0.25", "0"))
            r = srv.anon.get("/rest/api/space/GEN", headers=hdr)
            self.assertEqual(r.status, 429)
            self.assertEqual(r.header("Retry-After"), "4")
            self.assertEqual(r.header("X-RateLimit-Interval-Seconds"), "1")
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
