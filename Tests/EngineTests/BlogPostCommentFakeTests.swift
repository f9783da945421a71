import Confluence
import FakeConfluenceSupport
import Foundation
import Search
import Testing
@testable import Engine

/// Blog posts and comments through the real Confluence client against the Python fake, in the
/// Cloud and the Data Center shapes, with the requests they cost.
@Suite("Blog posts and comments against the fake Confluence", .serialized)
struct BlogPostCommentFakeTests {
    enum Flavor: String, CaseIterable, Sendable { case cloud, dataCenter }

    @Test("A blog post and a page's comments (replies included) are indexed; a new comment costs one comment request at the next cycle",
          arguments: Flavor.allCases)
    func blogPostsAndComments(_ flavor: Flavor) async throws {
        try await EngineHarness.with(flavor == .cloud ? ["--sample"] : ["--sample", "--mode", "dc"]) { harness in
            let post = try await harness.fake.createBlogPost(space: "HB", title: "Team news", body: "<p>The pangolin project launched.</p>")
            let page = try await harness.fake.createPage(space: "HB", title: "Decision log", body: "<p>Decisions.</p>")
            let other = try await harness.fake.createPage(space: "HB", title: "Second log", body: "<p>More decisions.</p>")
            let root = try await harness.fake.addComment(to: page, body: "<p>Use the axolotl scheduler.</p>")
            _ = try await harness.fake.admin("POST", "/_fake/comments", body: #"{"pageId": "\#(page)", "parentId": "\#(root)", "body": "<p>Agreed, with the tapir fallback.</p>"}"#)
            let answer = try await harness.fake.admin(
                "POST", "/_fake/pages", body: #"{"spaceKey": "HB", "type": "blogpost", "title": "Draft news", "labels": ["template"]}"#)
            let templated = try #require((answer as? [String: Any])?["id"] as? String)
            let configuration = harness.configuration("hb", space: "HB") { configuration in
                if flavor == .dataCenter { configuration.url = harness.fake.origin + "/display/HB" }
                configuration.content.comments = .footer
                configuration.excludeLabels = ["template"]
            }
            _ = try await harness.engine.create(configuration, secret: EngineHarness.token)
            _ = try await harness.waitForReady("hb")

            let blog = try #require(try harness.engine.search(name: "hb", query: "pangolin", limit: 3).first)
            #expect(blog.result.pageID == post && blog.contentType == "blogpost")
            #expect(try harness.engine.search(name: "hb", query: "axolotl", limit: 3).first?.result.pageID == page)
            #expect(try harness.engine.search(name: "hb", query: "tapir", limit: 3).first?.result.pageID == page)
            // A blog post's labels are read like a page's: an excluded label leaves it out.
            let skipped = try #require(try harness.manifest("hb")[templated])
            #expect(skipped.disposition == .skipped && skipped.reason == "excluded_by_label:template")

            // A new comment on another page: only that page's comments are fetched.
            try await harness.fake.addComment(to: other, body: "<p>The okapi budget is approved.</p>")
            try await harness.fake.resetStats()
            let cycleBefore = try harness.engine.snapshot(name: "hb").record.cycle
            _ = try await harness.engine.resync(name: "hb")
            try await harness.waitFor("hb", "the next ready") { $0.record.cycle > cycleBefore && $0.record.state == .ready }
            #expect(try harness.engine.search(name: "hb", query: "okapi", limit: 3).first?.result.pageID == other)
            let byKind = try #require(try await harness.fake.stats()["byKind"] as? [String: Int])
            let childComments = flavor == .cloud ? "v1.child_comment" : "dc.child_comment"
            #expect(byKind[childComments] == 1, "\(byKind)")
        }
    }
}
