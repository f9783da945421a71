import Confluence
import EngineTestSupport
import Foundation
import Search
import Testing
@testable import Engine

/// Blog posts (indexed as pages, on by default) and comments (opt-in, joined to their page's
/// text), in process: Confluence in memory, time by hand.
@Suite("Blog posts and comments")
struct BlogPostAndCommentTests {
    /// Runs a resync and waits until its cycle is ready.
    private static func cycle(_ harness: InProcessHarness, _ name: String) async throws -> DatastoreSnapshot {
        let before = try harness.engine.snapshot(name: name).record.cycle
        _ = try await harness.engine.resync(name: name)
        return try await harness.until(name, "the next cycle ready") { $0.record.cycle > before && $0.record.state == .ready }
    }

    @Test("A blog post is indexed with its own content type and URL, edited and deleted like a page")
    func blogPostLifecycle() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.addPages(space: "DOC", count: 3)
            harness.confluence.putBlogPost(space: "DOC", id: "B1", title: "Quarterly news", body: "<p>The platypus team shipped.</p>")
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let ready = try await harness.ready("docs")
            #expect(ready.indexed == 4)
            let hit = try #require(try harness.engine.search(name: "docs", query: "platypus", limit: 5).first)
            #expect(hit.result.pageID == "B1")
            #expect(hit.contentType == "blogpost")
            #expect(hit.url == "https://example.atlassian.net/wiki/spaces/DOC/blog/B1")
            let page = try #require(try harness.engine.search(name: "docs", query: "word1", limit: 5).first)
            #expect(page.contentType == nil)

            // Edited: the new version replaces the old text (processed by id through the blog post endpoint).
            harness.confluence.putBlogPost(space: "DOC", id: "B1", title: "Quarterly news", body: "<p>The wombat team shipped.</p>")
            _ = try await Self.cycle(harness, "docs")
            #expect(try harness.manifest("docs")["B1"]?.versionIndexed == 2)
            #expect(try harness.engine.search(name: "docs", query: "wombat", limit: 5).first?.result.pageID == "B1")
            #expect(try harness.engine.search(name: "docs", query: "platypus", limit: 5).isEmpty)

            // Deleted: gone from the index at the next cycle.
            harness.confluence.deletePage(space: "DOC", id: "B1")
            let after = try await Self.cycle(harness, "docs")
            #expect(after.indexed == 3)
            #expect(try harness.manifest("docs")["B1"]?.disposition == .deleted)
            #expect(try harness.engine.search(name: "docs", query: "wombat", limit: 5).isEmpty)
        }
    }

    @Test("blog_posts = false leaves blog posts out, and removes indexed ones at the next cycle")
    func blogPostsOff() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.addPages(space: "DOC", count: 2)
            harness.confluence.putBlogPost(space: "DOC", id: "B1", title: "Announcement", body: "<p>Capybara day.</p>")
            _ = try await harness.engine.create(harness.configuration("docs") { $0.content.blogPosts = false }, secret: nil)
            let off = try await harness.ready("docs")
            #expect(off.indexed == 2)
            #expect(try harness.manifest("docs")["B1"] == nil)

            let before = off.record.cycle
            _ = try await harness.engine.update(name: "docs", secret: nil) { (configuration: inout DatastoreConfiguration) throws(EngineError) in
                configuration.content.blogPosts = true
            }
            let on = try await harness.until("docs", "ready with blog posts") { $0.record.cycle > before && $0.record.state == .ready }
            #expect(on.indexed == 3)
            #expect(try harness.engine.search(name: "docs", query: "capybara", limit: 5).first?.result.pageID == "B1")

            let again = on.record.cycle
            _ = try await harness.engine.update(name: "docs", secret: nil) { (configuration: inout DatastoreConfiguration) throws(EngineError) in
                configuration.content.blogPosts = false
            }
            let removed = try await harness.until("docs", "ready without blog posts") { $0.record.cycle > again && $0.record.state == .ready }
            #expect(removed.indexed == 2)
            #expect(try harness.engine.search(name: "docs", query: "capybara", limit: 5).isEmpty)
        }
    }

    @Test("comments = none indexes no comment and asks for none")
    func commentsNone() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.putPage(space: "DOC", id: "P1", title: "Design", body: "<p>The plan.</p>")
            harness.confluence.putComment(on: "P1", id: "C1", body: "<p>We chose the heron protocol.</p>")
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            _ = try await harness.ready("docs")
            #expect(try harness.engine.search(name: "docs", query: "heron", limit: 5).isEmpty)
            #expect(harness.confluence.requests(.listComments) == 0 && harness.confluence.requests(.fetchComments) == 0)
        }
    }

    @Test("comments = footer joins footer comments under a Comments heading; inline ones only with all")
    func commentsFooterAndAll() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.putPage(space: "DOC", id: "P1", title: "Design", body: "<p>The plan.</p>")
            harness.confluence.putPage(space: "DOC", id: "P2", title: "Other", body: "<p>Nothing to say.</p>")
            harness.confluence.putComment(on: "P1", id: "C1", body: "<p>We chose the heron protocol.</p>")
            harness.confluence.putComment(on: "P1", id: "C2", body: "<p>Rename the egret field.</p>", location: .inline)
            _ = try await harness.engine.create(harness.configuration("docs") { $0.content.comments = .footer }, secret: nil)
            _ = try await harness.ready("docs")
            let hit = try #require(try harness.engine.search(name: "docs", query: "heron", limit: 5).first)
            #expect(hit.result.pageID == "P1")
            #expect(hit.result.headingPath.last == CommentText.heading)
            let text = try harness.engine.page(datastore: "docs", page: "P1").text.markdown
            #expect(text.contains("# Comments") && text.contains("heron protocol") && !text.contains("egret"))
            // Only the page with comments had them fetched.
            #expect(harness.confluence.requests(.fetchComments) == 1)

            let before = try harness.engine.snapshot(name: "docs").record.cycle
            _ = try await harness.engine.update(name: "docs", secret: nil) { (configuration: inout DatastoreConfiguration) throws(EngineError) in
                configuration.content.comments = .all
            }
            _ = try await harness.until("docs", "ready with inline comments") { $0.record.cycle > before && $0.record.state == .ready }
            #expect(try harness.engine.search(name: "docs", query: "egret", limit: 5).first?.result.pageID == "P1")
            #expect(try harness.manifest("docs")["P2"]?.versionIndexed == 1)
        }
    }

    @Test("A comment added, edited or removed re-indexes its page (same page version); comments off re-indexes without them")
    func commentChanges() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.addPages(space: "DOC", count: 5)
            _ = try await harness.engine.create(harness.configuration("docs") { $0.content.comments = .all }, secret: nil)
            _ = try await harness.ready("docs")
            let fetchedBefore = harness.confluence.requests(.fetchComments)
            #expect(fetchedBefore == 0)

            harness.confluence.putComment(on: "P3", id: "C1", body: "<p>Decision: use the ibis cache.</p>")
            _ = try await Self.cycle(harness, "docs")
            #expect(try harness.engine.search(name: "docs", query: "ibis", limit: 5).first?.result.pageID == "P3")
            #expect(try harness.manifest("docs")["P3"]?.versionIndexed == 1)  // the page's version did not change
            #expect(harness.confluence.requests(.fetchComments) == 1)

            // Nothing changed: no comment is fetched again.
            _ = try await Self.cycle(harness, "docs")
            #expect(harness.confluence.requests(.fetchComments) == 1)

            harness.confluence.putComment(on: "P3", id: "C1", body: "<p>Decision: use the kestrel cache.</p>")
            _ = try await Self.cycle(harness, "docs")
            #expect(try harness.engine.search(name: "docs", query: "kestrel", limit: 5).first?.result.pageID == "P3")
            #expect(try harness.engine.search(name: "docs", query: "ibis", limit: 5).isEmpty)

            harness.confluence.deleteComment(id: "C1")
            _ = try await Self.cycle(harness, "docs")
            #expect(try harness.engine.search(name: "docs", query: "kestrel", limit: 5).isEmpty)
            #expect(try !harness.engine.page(datastore: "docs", page: "P3").text.markdown.contains("# Comments"))

            harness.confluence.putComment(on: "P2", id: "C2", body: "<p>The osprey rollout is approved.</p>")
            _ = try await Self.cycle(harness, "docs")
            #expect(try harness.engine.search(name: "docs", query: "osprey", limit: 5).first?.result.pageID == "P2")
            let before = try harness.engine.snapshot(name: "docs").record.cycle
            _ = try await harness.engine.update(name: "docs", secret: nil) { (configuration: inout DatastoreConfiguration) throws(EngineError) in
                configuration.content.comments = .none
            }
            _ = try await harness.until("docs", "ready without comments") { $0.record.cycle > before && $0.record.state == .ready }
            #expect(try harness.engine.search(name: "docs", query: "osprey", limit: 5).isEmpty)
            #expect(try harness.manifest("docs")["P2"]?.commentsIndexed == nil)
        }
    }

    @Test("A failing comment listing fails the cycle's attempt and changes nothing")
    func commentSurveyFailure() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.putPage(space: "DOC", id: "P1", title: "Design", body: "<p>The plan.</p>")
            harness.confluence.putComment(on: "P1", id: "C1", body: "<p>Heron.</p>")
            harness.confluence.fail(.listComments, with: .transient)
            _ = try await harness.engine.create(harness.configuration("docs") { $0.content.comments = .footer }, secret: nil)
            _ = try await harness.until("docs", "a retry") { $0.record.lastError?.contains("503") == true }
            #expect(try harness.manifest("docs").isEmpty)  // nothing listed before the survey completed
            harness.clock.advance(byMillis: 1_000)
            _ = try await harness.ready("docs")
            #expect(try harness.engine.snapshot(name: "docs").record.state == .ready)
            #expect(try harness.engine.search(name: "docs", query: "heron", limit: 5).first?.result.pageID == "P1")
        }
    }

    @Test("A page deleted between its body and its comments is treated as deleted; the cycle completes")
    func pageGoneBeforeItsComments() async throws {
        try await InProcessHarness.with { harness in
            harness.confluence.putPage(space: "DOC", id: "P1", title: "Design", body: "<p>The plan.</p>")
            harness.confluence.putPage(space: "DOC", id: "P2", title: "Other", body: "<p>Other plan.</p>")
            harness.confluence.putComment(on: "P1", id: "C1", body: "<p>Heron.</p>")
            // Once in the single-pass listing (the batch is then processed by id), once by id.
            harness.confluence.fail(.fetchComments, with: .pageNotFound, times: 2)
            _ = try await harness.engine.create(harness.configuration("docs") { $0.content.comments = .footer }, secret: nil)
            let ready = try await harness.ready("docs")
            #expect(ready.indexed == 1 && ready.failed == 0)
            #expect(try harness.manifest("docs")["P1"]?.disposition == .deleted)
            #expect(harness.confluence.requests(.fetchComments) == 2)
        }
    }

    @Test("The comment digest ignores listing order and changes with any comment's version or location")
    func digest() {
        var one = CommentSurvey()
        one.add(Comment(id: "1", containerId: "P", version: 1))
        one.add(Comment(id: "2", containerId: "P", version: 3, location: .inline))
        var other = CommentSurvey()
        other.add(Comment(id: "2", containerId: "P", version: 3, location: .inline))
        other.add(Comment(id: "1", containerId: "P", version: 1))
        #expect(one.digest(of: "P") == other.digest(of: "P"))
        #expect(one.digest(of: "Q") == nil)
        var edited = CommentSurvey()
        edited.add(Comment(id: "1", containerId: "P", version: 2))
        edited.add(Comment(id: "2", containerId: "P", version: 3, location: .inline))
        #expect(edited.digest(of: "P") != one.digest(of: "P"))
    }
}
