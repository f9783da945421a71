"""Blog posts (v2 ``/spaces/{id}/blogposts``, ``/blogposts``; v1 ``type=blogpost``) and comments
(v1 ``/content/{id}/child/comment``, CQL ``type=comment``, v2 page footer/inline comments), with
versions and deletions, in the Cloud and Data Center shapes."""

import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import Client, RunningServer, ServerTestCase, assert_matches_spec, follow_v2  # noqa: E402

V2 = "/wiki/api/v2"
V1 = "/wiki/rest/api"
HB = 131073  # sample handbook space id


def q(text: str) -> str:
    return urllib.parse.quote(text)


class CloudBlogPostsTest(ServerTestCase):
    def test_listed_apart_from_pages_with_versions_bodies_and_deletion(self):
        post = self.c.post("/_fake/pages", {"spaceKey": "HB", "type": "blogpost", "title": "Release notes",
                                            "body": "<p>Shipped the lyrebird.</p>"}).json
        self.assertEqual(post["type"], "blogpost")
        posts = follow_v2(self.c, V2 + "/spaces/%d/blogposts?limit=250&body-format=storage&status=current" % HB,
                          check=lambda doc, r: assert_matches_spec(self, doc, "/spaces/{id}/blogposts"))
        self.assertEqual([p["id"] for p in posts], [post["id"]])
        self.assertEqual(posts[0]["body"]["storage"]["value"], "<p>Shipped the lyrebird.</p>")
        self.assertIn("/blog/", posts[0]["_links"]["webui"])
        pages = follow_v2(self.c, V2 + "/spaces/%d/pages?limit=250" % HB)
        self.assertNotIn(post["id"], {p["id"] for p in pages})
        # By id: /blogposts finds it, /pages does not.
        by_id = self.c.get(V2 + "/blogposts?id=%s&body-format=storage" % post["id"]).json
        assert_matches_spec(self, by_id, "/blogposts")
        self.assertEqual([p["id"] for p in by_id["results"]], [post["id"]])
        self.assertEqual(self.c.get(V2 + "/pages?id=%s" % post["id"]).json["results"], [])
        self.assertEqual(self.c.get(V2 + "/pages/%s" % post["id"]).status, 404)

        self.c.post("/_fake/pages/%s/edit" % post["id"], {"body": "<p>Shipped the bowerbird.</p>"})
        again = self.c.get(V2 + "/blogposts?id=%s&body-format=storage" % post["id"]).json["results"][0]
        self.assertEqual(again["version"]["number"], 2)
        self.assertIn("bowerbird", again["body"]["storage"]["value"])

        self.assertEqual(self.c.request("DELETE", "/_fake/pages/%s" % post["id"]).status, 200)
        self.assertEqual(follow_v2(self.c, V2 + "/spaces/%d/blogposts" % HB), [])

    def test_a_blog_post_has_no_parent(self):
        r = self.c.post("/_fake/pages", {"spaceKey": "HB", "type": "blogpost", "title": "x", "parentId": "131074"})
        self.assertEqual(r.status, 400)


class CloudCommentsTest(ServerTestCase):
    def setUp(self):
        self.page = self.c.post("/_fake/pages", {"spaceKey": "HB", "title": "Comment probe %s" % self.id()}).json["id"]

    def comment(self, body: str, **extra) -> dict:
        r = self.c.post("/_fake/comments", dict({"pageId": self.page, "body": body}, **extra))
        self.assertEqual(r.status, 201, r.body[:300])
        return r.json

    def child(self, query: str) -> list:
        r = self.c.get(V1 + "/content/%s/child/comment?%s" % (self.page, query))
        self.assertEqual(r.status, 200, r.body[:300])
        return r.json["results"]

    def test_child_comments_by_location_and_depth_with_bodies(self):
        root = self.comment("<p>Root remark.</p>")
        reply = self.comment("<p>A reply.</p>", parentId=root["id"])
        inline = self.comment("<p>On this sentence.</p>", location="inline")
        everything = self.child("depth=all&location=footer&location=inline&expand=body.storage,version,extensions.location")
        self.assertEqual([c["id"] for c in everything], [root["id"], reply["id"], inline["id"]])
        self.assertEqual([c["extensions"]["location"] for c in everything], ["footer", "footer", "inline"])
        self.assertEqual(everything[1]["body"]["storage"]["value"], "<p>A reply.</p>")
        self.assertTrue(all(c["type"] == "comment" and c["version"]["number"] == 1 for c in everything))
        self.assertEqual([c["id"] for c in self.child("depth=all&location=footer")], [root["id"], reply["id"]])
        self.assertEqual([c["id"] for c in self.child("location=footer")], [root["id"]])  # roots only without depth=all
        paged = self.child("depth=all&limit=1&start=1")
        self.assertEqual([c["id"] for c in paged], [reply["id"]])
        self.assertEqual(self.c.get(V1 + "/content/999999/child/comment").status, 404)

    def test_v2_page_comments_are_roots_in_the_spec_shape(self):
        root = self.comment("<p>Root.</p>")
        self.comment("<p>Reply.</p>", parentId=root["id"])
        inline = self.comment("<p>Inline.</p>", location="inline")
        footer = follow_v2(self.c, V2 + "/pages/%s/footer-comments?body-format=storage" % self.page,
                           check=lambda doc, r: assert_matches_spec(self, doc, "/pages/{id}/footer-comments"))
        self.assertEqual([c["id"] for c in footer], [root["id"]])
        self.assertEqual(footer[0]["pageId"], self.page)
        inlines = follow_v2(self.c, V2 + "/pages/%s/inline-comments?body-format=storage" % self.page,
                            check=lambda doc, r: assert_matches_spec(self, doc, "/pages/{id}/inline-comments"))
        self.assertEqual([c["id"] for c in inlines], [inline["id"]])

    def test_cql_lists_a_spaces_comments_with_container_and_versions_and_follows_edits_and_deletions(self):
        root = self.comment("<p>Keep.</p>")
        reply = self.comment("<p>Reply goes with its root.</p>", parentId=root["id"])
        other = self.comment("<p>Edit me.</p>")
        cql = q('type=comment and space="HB"')

        def listed():
            r = self.c.get(V1 + "/content/search?cql=%s&limit=250&expand=version,container,extensions.location" % cql)
            self.assertEqual(r.status, 200, r.body[:300])
            return {c["id"]: c for c in r.json["results"] if c["container"]["id"] == self.page}

        first = listed()
        self.assertEqual(set(first), {root["id"], reply["id"], other["id"]})
        self.assertTrue(all(c["container"]["type"] == "page" for c in first.values()))
        # Pages are not comments.
        self.assertNotIn(self.page, first)
        self.assertEqual(self.c.post("/_fake/comments/%s/edit" % other["id"], {"body": "<p>Edited.</p>"}).json["version"], 2)
        self.assertEqual(listed()[other["id"]]["version"]["number"], 2)
        self.assertEqual(self.c.request("DELETE", "/_fake/comments/%s" % root["id"]).status, 200)
        self.assertEqual(set(listed()), {other["id"]})  # the reply went with its root
        # A comment's page version does not change.
        self.assertEqual(self.c.get("/_fake/pages/%s" % self.page).json["version"], 1)

    def test_bad_admin_input(self):
        self.assertEqual(self.c.post("/_fake/comments", {"pageId": "999999", "body": "x"}).status, 404)
        self.assertEqual(self.c.post("/_fake/comments", {"pageId": self.page, "location": "side"}).status, 400)
        self.assertEqual(self.c.request("DELETE", "/_fake/comments/123").status, 404)


class DataCenterBlogPostsAndCommentsTest(unittest.TestCase):
    def test_dc_shapes(self):
        srv = RunningServer(mode="dc", context_path="/confluence", email=None, token=None, pat="pat-xyz")
        try:
            c = Client(srv.port, {"Authorization": "Bearer pat-xyz"})
            post = c.post("/_fake/pages", {"spaceKey": "HB", "type": "blogpost", "title": "DC news", "body": "<p>Hello.</p>"}).json
            r = c.get("/confluence/rest/api/content?spaceKey=HB&type=blogpost&status=current&limit=250&start=0&expand=version,body.storage")
            self.assertEqual(r.status, 200, r.body[:300])
            self.assertEqual([x["id"] for x in r.json["results"]], [post["id"]])
            self.assertEqual(r.json["results"][0]["type"], "blogpost")
            self.assertTrue(r.json["results"][0]["_links"]["webui"].startswith("/display/HB/"))
            pages = c.get("/confluence/rest/api/content?spaceKey=HB&type=page&limit=250&start=0").json["results"]
            self.assertNotIn(post["id"], {x["id"] for x in pages})
            by_id = c.get("/confluence/rest/api/content/search?cql=%s&expand=body.storage" % q("id in (%s)" % post["id"])).json
            self.assertEqual([x["type"] for x in by_id["results"]], ["blogpost"])

            comment = c.post("/_fake/comments", {"pageId": post["id"], "body": "<p>Nice.</p>"}).json
            r = c.get("/confluence/rest/api/content/%s/child/comment?depth=all&location=footer&expand=body.storage,version" % post["id"])
            self.assertEqual(r.status, 200, r.body[:300])
            self.assertEqual([x["id"] for x in r.json["results"]], [comment["id"]])
            self.assertEqual(r.json["_links"]["context"], "/confluence")
            listed = c.get("/confluence/rest/api/content/search?cql=%s&limit=250&start=0&expand=container,version"
                           % q('type=comment and space="HB"')).json["results"]
            self.assertEqual([(x["id"], x["container"]["id"]) for x in listed], [(comment["id"], post["id"])])
            c.close()
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
