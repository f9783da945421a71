"""Attachments: listings in the v2 and v1 shapes, versions, deletions and downloads (issue #16)."""

from __future__ import annotations

import base64
import os
import unittest

from .support import SAMPLE_DIR, RunningServer, ServerTestCase

from fake_confluence.samplefiles import PLACES, sample_files  # noqa: E402  (support puts scripts/ on the path)

ONCALL = 300011  # the handbook's on-call runbook, which carries escalation.txt


class CloudAttachmentsTest(ServerTestCase):
    def test_v2_listing_versions_and_downloads(self):
        c = self.c
        up = c.post("/_fake/pages/%d/attachments" % ONCALL, {"filename": "limits.csv", "text": "a,b\n1,2\n"})
        self.assertEqual(up.status, 201)
        att = up.json
        self.assertEqual((att["version"], att["mediaType"]), (1, "text/csv"))
        items = {a["id"]: a for a in c.get("/wiki/api/v2/pages/%d/attachments?limit=250" % ONCALL).json["results"]}
        item = items[att["id"]]
        self.assertEqual((item["title"], item["version"]["number"], item["fileSize"], item["pageId"]),
                         ("limits.csv", 1, 8, str(ONCALL)))
        self.assertEqual(c.get("/wiki" + item["downloadLink"]).body, b"a,b\n1,2\n")

        again = c.post("/_fake/pages/%d/attachments" % ONCALL, {"filename": "limits.csv", "text": "a,b\n3,4\n"}).json
        self.assertEqual((again["id"], again["version"]), (att["id"], 2))
        item = {a["id"]: a for a in c.get("/wiki/api/v2/pages/%d/attachments" % ONCALL).json["results"]}[att["id"]]
        self.assertEqual(item["version"]["number"], 2)
        self.assertIn("version=2", item["downloadLink"])
        self.assertEqual(c.get("/wiki" + item["_links"]["download"]).body, b"a,b\n3,4\n")

        # v1 child listing on Cloud has the same attachments, v1 shape.
        v1 = c.get("/wiki/rest/api/content/%d/child/attachment?expand=version" % ONCALL).json
        found = {a["id"]: a for a in v1["results"]}[att["id"]]
        self.assertEqual((found["type"], found["version"]["number"], found["extensions"]["fileSize"]), ("attachment", 2, 8))
        self.assertEqual(c.get("/wiki" + found["_links"]["download"]).body, b"a,b\n3,4\n")

        self.assertEqual(c.request("DELETE", "/_fake/pages/%d/attachments/%s" % (ONCALL, att["id"])).status, 200)
        ids = [a["id"] for a in c.get("/wiki/api/v2/pages/%d/attachments" % ONCALL).json["results"]]
        self.assertNotIn(att["id"], ids)
        self.assertEqual(c.get("/wiki" + item["downloadLink"]).status, 404)
        self.assertEqual(c.request("DELETE", "/_fake/pages/%d/attachments/%s" % (ONCALL, att["id"])).status, 404)

    def test_site_listing_has_every_visible_attachment_in_cursor_pages(self):
        for n in range(3):
            self.c.post("/_fake/pages/%d/attachments" % ONCALL, {"filename": "site-%d.txt" % n, "text": "x"})
        seen, path = [], "/wiki/api/v2/attachments?limit=2&status=current"
        for _ in range(100):
            doc = self.c.get(path).json
            seen += doc["results"]
            nxt = doc["_links"].get("next")
            if not nxt:
                break
            path = "/wiki" + nxt if not nxt.startswith("/wiki") else nxt
        expected = {a.att_id for a in self.srv.store.attachments.values() if not self.srv.store.pages[a.page_id].restricted}
        self.assertEqual({a["id"] for a in seen}, expected)
        self.assertEqual(len(seen), len(expected))
        self.assertTrue(all(a["pageId"] for a in seen))

    def test_binary_upload_is_served_byte_for_byte(self):
        data = bytes(range(256)) * 4
        up = self.c.post("/_fake/pages/%d/attachments" % ONCALL,
                         {"filename": "blob.bin", "dataBase64": base64.b64encode(data).decode()}).json
        self.assertEqual(up["mediaType"], "application/octet-stream")
        item = {a["id"]: a for a in self.c.get("/wiki/api/v2/pages/%d/attachments" % ONCALL).json["results"]}[up["id"]]
        self.assertEqual(self.c.get("/wiki" + item["downloadLink"]).body, data)

    def test_sample_space_carries_real_pdf_and_docx(self):
        for name, data in sample_files().items():
            with open(os.path.join(SAMPLE_DIR, PLACES[name], name), "rb") as fh:
                self.assertEqual(fh.read(), data, "%s is not what samplefiles.py makes" % name)
            self.assertLess(len(data), 20_000)
        self.assertTrue(sample_files()["service-catalogue.pdf"].startswith(b"%PDF-1.4"))
        self.assertTrue(sample_files()["travel-policy.docx"].startswith(b"PK\x03\x04"))
        pages = [p for p in self.srv.store.pages.values() if any(a.filename == "service-catalogue.pdf" for a in p.attachments)]
        self.assertEqual(len(pages), 1)
        item = [a for a in self.c.get("/wiki/api/v2/pages/%d/attachments" % pages[0].id).json["results"]
                if a["title"] == "service-catalogue.pdf"][0]
        self.assertEqual(item["mediaType"], "application/pdf")
        self.assertEqual(self.c.get("/wiki" + item["downloadLink"]).body, sample_files()["service-catalogue.pdf"])


class DataCenterAttachmentsTest(unittest.TestCase):
    def test_v1_child_listing_offsets_and_download(self):
        srv = RunningServer(mode="dc", context_path="/confluence")
        try:
            c = srv.client
            for n in range(3):
                c.post("/_fake/pages/%d/attachments" % ONCALL, {"filename": "f%d.txt" % n, "text": "file %d" % n})
            first = c.get("/confluence/rest/api/content/%d/child/attachment?limit=2&start=0&expand=version" % ONCALL).json
            self.assertEqual(len(first["results"]), 2)
            self.assertIn("next", first["_links"])
            rest = c.get("/confluence/rest/api/content/%d/child/attachment?limit=2&start=2&expand=version" % ONCALL).json
            last = c.get("/confluence/rest/api/content/%d/child/attachment?limit=2&start=4&expand=version" % ONCALL).json
            self.assertNotIn("next", last["_links"])
            every = first["results"] + rest["results"] + last["results"]
            self.assertEqual(sorted(a["title"] for a in every),
                             sorted(["escalation.txt", "handover-checklist.md", "f0.txt", "f1.txt", "f2.txt"]))
            f2 = [a for a in every if a["title"] == "f2.txt"][0]
            self.assertEqual(c.get("/confluence" + f2["_links"]["download"]).body, b"file 2")
            self.assertEqual(c.get("/confluence/rest/api/content/999999/child/attachment").status, 404)
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
