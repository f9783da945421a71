"""Every v2 response shape validates against Atlassian's OpenAPI spec (and adds no undeclared fields)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import ServerTestCase, assert_matches_spec, follow_v2, response_schema, validate  # noqa: E402

V2 = "/wiki/api/v2"
HB = 131073  # sample handbook space id
GEN = 65538


class V2SchemaTest(ServerTestCase):
    server_args = {"generate": 300}

    def get_ok(self, path):
        r = self.c.get(path)
        self.assertEqual(r.status, 200, (path, r.body[:300]))
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        return r.json

    def test_validator_is_strict_enough(self):
        # Guard against a validator that accepts anything: a wrong type must fail.
        schema = response_schema("/pages/{id}")
        with self.assertRaises(Exception):
            validate({"id": 123, "status": "nonsense"}, schema)

    def test_missing_validator_fails_loudly(self):
        import support

        saved = {m: sys.modules.get(m) for m in ("openapi_schema_validator", "jsonschema")}
        try:
            for m in saved:
                sys.modules[m] = None  # makes "import m" raise ImportError
            with self.assertRaisesRegex(AssertionError, "pip install openapi-schema-validator"):
                support.validate({}, {"type": "object"})
        finally:
            for m, mod in saved.items():
                if mod is None:
                    sys.modules.pop(m, None)
                else:
                    sys.modules[m] = mod

    def test_spaces(self):
        doc = self.get_ok(V2 + "/spaces?keys=HB,GEN&description-format=plain&include-icon=true")
        self.assertEqual(sorted(s["key"] for s in doc["results"]), ["GEN", "HB"])
        assert_matches_spec(self, doc, "/spaces")
        doc = self.get_ok(V2 + "/spaces?limit=1")
        self.assertIn("next", doc["_links"])
        assert_matches_spec(self, doc, "/spaces")

    def test_space_single(self):
        doc = self.get_ok(V2 + "/spaces/%d?description-format=view&include-labels=true&include-properties=true" % HB)
        self.assertEqual(doc["key"], "HB")
        self.assertEqual(doc["homepageId"], "300001")
        self.assertEqual(doc["_links"]["base"], self.srv.base + "/wiki")
        assert_matches_spec(self, doc, "/spaces/{id}")

    def test_space_pages_with_and_without_body(self):
        for q in ("", "&body-format=storage", "&sort=-modified-date", "&depth=root", "&status=archived&status=current"):
            doc = self.get_ok(V2 + "/spaces/%d/pages?limit=100%s" % (GEN, q))
            self.assertTrue(doc["results"])
            assert_matches_spec(self, doc, "/spaces/{id}/pages")
            with_body = "body-format" in q
            for p in doc["results"]:
                self.assertEqual("storage" in p["body"], with_body)
                self.assertIn(p["status"], ("current", "archived"))

    def test_pages_bulk(self):
        ids = [p["id"] for p in self.get_ok(V2 + "/spaces/%d/pages?limit=40" % GEN)["results"]]
        doc = self.get_ok(V2 + "/pages?id=%s&body-format=storage&limit=250" % ",".join(ids))
        self.assertEqual(sorted(p["id"] for p in doc["results"]), sorted(ids))
        assert_matches_spec(self, doc, "/pages")
        doc = self.get_ok(V2 + "/pages?space-id=%d&limit=5" % HB)
        assert_matches_spec(self, doc, "/pages")

    def test_page_single_all_includes(self):
        q = ("?body-format=storage&include-labels=true&include-versions=true&include-properties=true"
             "&include-operations=true&include-likes=true&include-favorited-by-current-user-status=true")
        doc = self.get_ok(V2 + "/pages/300011" + q)
        self.assertEqual(doc["title"], "On-call Runbook")
        self.assertEqual(doc["version"]["number"], 7)
        self.assertEqual(sorted(x["name"] for x in doc["labels"]["results"]), ["oncall", "runbook"])
        self.assertEqual(len(doc["versions"]["results"]), 7)
        self.assertIn("<ac:structured-macro", doc["body"]["storage"]["value"])
        self.assertEqual(doc["_links"]["base"], self.srv.base + "/wiki")
        assert_matches_spec(self, doc, "/pages/{id}")
        # root page: parentId omitted (the spec types it as a non-null string)
        root = self.get_ok(V2 + "/pages/300001?include-version=false")
        self.assertNotIn("parentId", root)
        self.assertNotIn("version", root)
        assert_matches_spec(self, root, "/pages/{id}")

    def test_labels_ancestors_children_versions_attachments(self):
        doc = self.get_ok(V2 + "/pages/300011/labels?sort=-name")
        self.assertEqual([x["name"] for x in doc["results"]], ["runbook", "oncall"])
        assert_matches_spec(self, doc, "/pages/{id}/labels")

        deep = max(self.srv.store.pages.values(), key=lambda p: len(self.srv.store.ancestors(p)) if p.space_id == GEN and p.status == "current" else -1)
        chain = [a.id for a in self.srv.store.ancestors(deep)]
        self.assertGreaterEqual(len(chain), 3)
        doc = self.get_ok(V2 + "/pages/%d/ancestors" % deep.id)
        self.assertEqual([int(a["id"]) for a in doc["results"]], chain)  # top-down
        assert_matches_spec(self, doc, "/pages/{id}/ancestors")
        doc = self.get_ok(V2 + "/pages/%d/ancestors?limit=2" % deep.id)
        self.assertEqual([int(a["id"]) for a in doc["results"]], chain[-2:])  # the nearest ones

        kids = follow_v2(self.c, V2 + "/pages/100001/children?limit=7",
                         check=lambda d, r: assert_matches_spec(self, d, "/pages/{id}/children"))
        positions = [k["childPosition"] for k in kids]
        self.assertEqual(positions, sorted(positions))
        self.assertGreater(len(kids), 7)

        doc = self.get_ok(V2 + "/pages/300011/versions?body-format=storage")
        self.assertEqual([v["number"] for v in doc["results"]], [7, 6, 5, 4, 3, 2, 1])
        assert_matches_spec(self, doc, "/pages/{id}/versions")
        doc = self.get_ok(V2 + "/pages/300011/versions/3")
        self.assertEqual((doc["number"], doc["prevVersion"], doc["nextVersion"]), (3, 2, 4))
        assert_matches_spec(self, doc, "/pages/{page-id}/versions/{version-number}")

        doc = self.get_ok(V2 + "/pages/300011/attachments")
        self.assertEqual([a["title"] for a in doc["results"]], ["escalation.txt", "handover-checklist.md"])
        assert_matches_spec(self, doc, "/pages/{id}/attachments")

    def test_errors(self):
        r = self.c.get(V2 + "/spaces/%d/pages?limit=251" % GEN)
        self.assertEqual(r.status, 400)
        err = r.json["errors"][0]
        self.assertEqual((err["status"], err["code"]), (400, "INVALID_REQUEST_PARAMETER"))
        for bad in ("limit=0", "limit=abc", "cursor=garbage!", "sort=bogus", "depth=deep", "status=draft"):
            self.assertEqual(self.c.get(V2 + "/spaces/%d/pages?%s" % (GEN, bad)).status, 400, bad)
        r = self.c.get(V2 + "/pages?id=" + ",".join(str(i) for i in range(1, 252)))
        self.assertEqual(r.status, 400)
        notfound = {"errors": [{"status": 404, "code": "NOT_FOUND", "title": "Not Found", "detail": None}]}
        for path in ("/pages/999999999", "/spaces/424242", "/spaces/424242/pages", "/pages/999999999/labels"):
            r = self.c.get(V2 + path)
            self.assertEqual((r.status, r.json), (404, notfound), path)
        # a cursor from one listing is rejected by another
        nxt = self.get_ok(V2 + "/spaces/%d/pages?limit=2" % GEN)["_links"]["next"]
        cursor = nxt.split("cursor=")[1]
        self.assertEqual(self.c.get(V2 + "/spaces/%d/pages?sort=title&cursor=%s" % (GEN, cursor)).status, 400)


if __name__ == "__main__":
    unittest.main()
