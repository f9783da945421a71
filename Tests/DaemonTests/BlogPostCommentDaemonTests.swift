import FakeConfluenceSupport
import Foundation
import Testing

@Suite("Blog posts and comments through the daemon and the fake Confluence", .serialized)
struct BlogPostCommentDaemonTests {
    @Test("tributaryctl search finds a blog post (content type blogpost, its own URL) and a footer comment, cited by its page")
    func blogPostAndCommentFound() async throws {
        try await FakeConfluence.with(["--sample", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let post = try await fake.createBlogPost(space: "HB", title: "Quarterly update",
                                                     body: "<p>The quokka migration finished ahead of plan.</p>")
            let page = try await fake.createPage(space: "HB", title: "Storage decision", body: "<p>Which store to use.</p>")
            try await fake.addComment(to: page, body: "<p>We settled on the numbat engine after the review.</p>")
            try await fake.addComment(to: page, body: "<p>Inline aside about the dingo format.</p>", location: "inline")
            try await harness.startDaemon()
            try await harness.create("hb", space: "HB", extra: ["--comments", "footer"])
            try await harness.waitReady("hb")

            let blog = try await harness.ctl(["search", "hb", "quokka migration", "--json"])
            #expect(blog.status == 0, "\(blog.stderr)")
            let blogHit = try #require((try blog.json()["results"] as? [[String: Any]])?.first)
            #expect(blogHit["pageId"] as? String == post)
            #expect(blogHit["contentType"] as? String == "blogpost")
            #expect((blogHit["url"] as? String)?.contains("/wiki/spaces/HB/blog/") == true, "\(blogHit["url"] ?? "")")

            let comment = try await harness.ctl(["search", "hb", "numbat engine", "--json"])
            #expect(comment.status == 0, "\(comment.stderr)")
            let commentHit = try #require((try comment.json()["results"] as? [[String: Any]])?.first)
            #expect(commentHit["pageId"] as? String == page)
            #expect(commentHit["title"] as? String == "Storage decision")
            #expect((commentHit["headingPath"] as? [String])?.last == "Comments")
            #expect(commentHit["contentType"] == nil)

            // Inline comments are not in a footer-only datastore.
            let inline = try await harness.ctl(["search", "hb", "dingo", "--json"])
            #expect((try inline.json()["results"] as? [[String: Any]])?.isEmpty == true)
        }
    }
}
