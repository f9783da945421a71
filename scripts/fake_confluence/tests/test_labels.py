"""Labels without a request per page: the labels on a space's content (v2), CQL ``label in (…)``
with ``metadata.labels`` expanded (v1 search, Cloud and DC), and the DC listing's expansion."""

import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import RunningServer, ServerTestCase, assert_matches_spec, follow_v2  # noqa: E402

V2 = "/wiki/api/v2"
HB = 131073  # sample handbook space id
GEN = 65538


def shown(lab: dict) -> str:
    return lab["name"] if lab["prefix"] == "global" else lab["prefix"] + ":" + lab["name"]


class SpaceContentLabelsTest(ServerTestCase):
    server_args = {"generate": 120}

    def truth(self, space_key: str) -> set:
        """Labels on the visible current/archived pages of a space, as (prefix, name)."""
        store = self.srv.store
        space = store.spaces_by_key[space_key]
        return {(lab.prefix, lab.name) for pid in space.page_ids for p in [store.pages[pid]]
                if not p.restricted and p.status in ("current", "archived") for lab in p.labels}

    def test_lists_each_label_once_and_matches_the_spec(self):
        labels = follow_v2(self.c, V2 + "/spaces/%d/content/labels?limit=250" % HB,
                           check=lambda doc, r: assert_matches_spec(self, doc, "/spaces/{id}/content/labels"))
        pairs = [(x["prefix"], x["name"]) for x in labels]
        self.assertEqual(len(pairs), len(set(pairs)))
        self.assertEqual(set(pairs), self.truth("HB"))
        names = {x["name"] for x in labels}
        self.assertTrue({"runbook", "policy", "onboarding", "template"} <= names)
        self.assertTrue(all(set(x) == {"id", "name", "prefix"} for x in labels))

    def test_cursor_paging_with_small_limits(self):
        whole = follow_v2(self.c, V2 + "/spaces/%d/content/labels?limit=250" % HB)
        paged = follow_v2(self.c, V2 + "/spaces/%d/content/labels?limit=7" % HB)
        self.assertGreater(len(whole), 7)
        self.assertEqual([x["id"] for x in paged], [x["id"] for x in whole])
        by_name = follow_v2(self.c, V2 + "/spaces/%d/content/labels?limit=5&sort=-name" % HB)
        self.assertEqual([x["name"] for x in by_name], sorted((x["name"] for x in whole), reverse=True))

    def test_limits_prefix_and_missing_space(self):
        for bad in ("limit=0", "limit=251", "prefix=global", "sort=title"):
            r = self.c.get(V2 + "/spaces/%d/content/labels?%s" % (HB, bad))
            self.assertEqual(r.status, 400, bad)
        self.assertEqual(self.c.get(V2 + "/spaces/999999/content/labels").status, 404)
        self.assertEqual(self.c.get(V2 + "/spaces/%d/content/labels" % GEN).json["results"] != [], True)

    def test_follows_label_changes_and_prefixes(self):
        pid = self.c.post("/_fake/pages", {"spaceKey": "HB", "title": "Label probe", "body": "<p>x</p>",
                                           "labels": ["zz-fresh", "my:zz-mine"]}).json["id"]
        labels = follow_v2(self.c, V2 + "/spaces/%d/content/labels?limit=250" % HB)
        self.assertIn("zz-fresh", {shown(x) for x in labels})
        self.assertIn("my:zz-mine", {shown(x) for x in labels})
        mine = follow_v2(self.c, V2 + "/spaces/%d/content/labels?prefix=my" % HB)
        self.assertEqual([shown(x) for x in mine], ["my:zz-mine"])
        self.c.post("/_fake/pages/%s/labels" % pid, {"labels": []})
        labels = follow_v2(self.c, V2 + "/spaces/%d/content/labels?limit=250" % HB)
        self.assertNotIn("zz-fresh", {x["name"] for x in labels})


class DenyKindsTest(ServerTestCase):
    def test_denied_endpoint_answers_403_until_allowed_again(self):
        path = V2 + "/spaces/%d/content/labels" % HB
        self.assertEqual(self.c.post("/_fake/faults", {"denyKinds": ["v2.space_content_labels"]}).status, 200)
        try:
            r = self.c.get(path)
            self.assertEqual(r.status, 403)
            self.assertEqual(r.json["errors"][0]["status"], 403)
            self.assertEqual(self.c.get(V2 + "/spaces/%d" % HB).status, 200)  # other endpoints unaffected
            self.assertEqual(self.c.post("/_fake/faults", {"denyKinds": "x"}).status, 400)
        finally:
            self.c.post("/_fake/faults", {"denyKinds": []})
        self.assertEqual(self.c.get(path).status, 200)


class LabelSearchTest(ServerTestCase):
    """One CQL search finds every labelled page with all its labels."""

    server_args = {"generate": 300}

    def search_all(self, cql: str, limit: int = 250):
        results, path = [], "/wiki/rest/api/content/search?" + urllib.parse.urlencode(
            {"cql": cql, "limit": limit, "expand": "version,metadata.labels"})
        while path:
            doc = self.c.get(path).json
            results += doc["results"]
            nxt = doc["_links"].get("next")
            path = "/wiki" + nxt if nxt else None
        return results

    def test_label_in_with_expansion(self):
        found = self.search_all('type = page and space in ("GEN") and label in ("runbook","template")', limit=40)
        store = self.srv.store
        want = {p.id for p in store.pages.values()
                if store.spaces[p.space_id].key == "GEN" and p.status == "current" and not p.restricted
                and any(x.name in ("runbook", "template") for x in p.labels)}
        self.assertEqual({int(x["id"]) for x in found}, want)
        for item in found:
            page = store.pages[int(item["id"])]
            self.assertEqual(sorted(x["name"] for x in item["metadata"]["labels"]["results"]),
                             sorted(x.name for x in page.labels))

    def test_prefixed_labels_match_as_shown(self):
        pid = self.c.post("/_fake/pages", {"spaceKey": "HB", "title": "Mine", "body": "<p>x</p>",
                                           "labels": ["my:favourite"]}).json["id"]
        ids = [x["id"] for x in self.search_all('type = page and label = "my:favourite"')]
        self.assertEqual(ids, [str(pid)])
        self.assertEqual(self.search_all('type = page and label = "favourite"'), [])


class DataCenterListingLabelsTest(unittest.TestCase):
    def test_listing_expands_labels(self):
        srv = RunningServer(mode="dc", context_path="/confluence", email=None, token=None, pat="pat-xyz")
        try:
            from support import Client
            c = Client(srv.port, {"Authorization": "Bearer pat-xyz"})
            doc = c.get("/confluence/rest/api/content?spaceKey=HB&type=page&limit=250&start=0"
                        "&expand=version,ancestors,history,metadata.labels").json
            by_title = {x["title"]: x for x in doc["results"]}
            runbook = by_title["On-call Runbook"]
            self.assertEqual(sorted(x["name"] for x in runbook["metadata"]["labels"]["results"]), ["oncall", "runbook"])
            self.assertIn("when", runbook["version"])
            c.close()
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
