import Confluence
import EngineTestSupport
import Extraction
import Foundation
import Search
import Storage
import SystemdTestSupport
import Testing
@testable import Engine

/// Attachments of in-scope pages (issue #16), in process: listed after the pages, fetched
/// again only for a new version, removed with their page, each failure isolated, charged once
/// per version, and the same result after a restart part-way through.
@Suite("Attachments in process")
struct AttachmentTests {
    static func options(_ extractor: TestExtractor) -> EngineOptions {
        var options = InProcessHarness.options()
        options.extractor = extractor
        return options
    }

    /// Two pages; P1 carries a text file and a CSV.
    static func seed(_ confluence: InMemoryConfluence) {
        confluence.putPage(space: "DOC", id: "P1", title: "Runbook", body: "<p>How we operate the service.</p>")
        confluence.putPage(space: "DOC", id: "P2", title: "Budget", body: "<p>Money matters.</p>")
        confluence.putAttachment(page: "P1", id: "att1", title: "zebra-manual.txt", mediaType: "text/plain",
                                 text: "The zebra crossing procedure needs two operators.")
        confluence.putAttachment(page: "P1", id: "att2", title: "costs.csv", mediaType: "text/csv",
                                 text: "item,amount\nokapi feed,1200\n")
    }

    func ready(_ harness: InProcessHarness, after cycle: UInt64) async throws -> DatastoreSnapshot {
        _ = try await harness.engine.resync(name: "docs")
        return try await harness.until("docs", "the next cycle ready") { $0.record.cycle > cycle && $0.record.state == .ready }
    }

    @Test("An attachment is indexed as its own document, cited with its download URL and parent page; edits and deletions show after one cycle")
    func addEditDelete() async throws {
        let extractor = TestExtractor()
        try await InProcessHarness.with(options: Self.options(extractor)) { harness in
            Self.seed(harness.confluence)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let first = try await harness.ready("docs")
            #expect(first.attachments == AttachmentCounts(indexed: 2, skippedByReason: [:], failed: 0))
            let hit = try #require(try harness.engine.search(name: "docs", query: "zebra crossing", limit: 5).first)
            let attachment = try #require(hit.attachment)
            #expect(attachment.id == "att1" && attachment.pageId == "P1" && attachment.pageTitle == "Runbook")
            #expect(attachment.url == "https://example.atlassian.net/wiki/download/attachments/P1/zebra-manual.txt?version=1")
            #expect(hit.url == "https://example.atlassian.net/wiki/spaces/DOC/pages/P1")
            #expect(try harness.engine.search(name: "docs", query: "okapi", limit: 5).first?.attachment?.id == "att2")
            #expect(harness.confluence.requests(.download) == 2)

            // An unchanged cycle downloads nothing.
            let second = try await ready(harness, after: first.record.cycle)
            #expect(harness.confluence.requests(.download) == 2 && extractor.extractions == 2)

            // A new version is fetched again and replaces the old text.
            harness.confluence.putAttachment(page: "P1", id: "att1", title: "zebra-manual.txt", mediaType: "text/plain",
                                             text: "The giraffe gate procedure needs one operator.")
            let third = try await ready(harness, after: second.record.cycle)
            #expect(harness.confluence.requests(.download) == 3)
            // (The file name, still "zebra-manual.txt", is indexed too: the old text's own word is gone.)
            #expect(try harness.engine.search(name: "docs", query: "crossing", limit: 5).isEmpty)
            #expect(try harness.engine.search(name: "docs", query: "giraffe", limit: 5).first?.attachment?.id == "att1")
            #expect(try harness.engine.explain(name: "docs", pageId: "P1").attachments.first { $0.id == "att1" }?.versionIndexed == 2)

            // A deleted attachment leaves the index in the same cycle.
            harness.confluence.deleteAttachment(page: "P1", id: "att2")
            let fourth = try await ready(harness, after: third.record.cycle)
            #expect(try harness.engine.search(name: "docs", query: "okapi", limit: 5).isEmpty)
            #expect(fourth.attachments?.indexed == 1)
            #expect(try harness.engine.explain(name: "docs", pageId: "P1").attachments.map(\.id) == ["att1"])
        }
    }

    @Test("A page that leaves scope takes its attachments with it in the same cycle")
    func pageOutOfScope() async throws {
        try await InProcessHarness.with(options: Self.options(TestExtractor())) { harness in
            Self.seed(harness.confluence)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let first = try await harness.ready("docs")
            #expect(try !harness.engine.search(name: "docs", query: "okapi", limit: 5).isEmpty)
            harness.confluence.deletePage(space: "DOC", id: "P1")
            let next = try await ready(harness, after: first.record.cycle)
            #expect(try harness.engine.search(name: "docs", query: "okapi", limit: 5).isEmpty)
            #expect(try harness.engine.search(name: "docs", query: "zebra", limit: 5).isEmpty)
            #expect(next.attachments == AttachmentCounts(indexed: 0, skippedByReason: [:], failed: 0))
        }
    }

    @Test("Too large (declared or found while downloading), a type not indexed and failed extractions are recorded with their reason; the others are indexed")
    func skipsAndFailuresIsolate() async throws {
        try await InProcessHarness.with(options: Self.options(TestExtractor())) { harness in
            Self.seed(harness.confluence)
            let big = [UInt8](repeating: UInt8(ascii: "a"), count: 4_096)
            harness.confluence.putAttachment(page: "P2", id: "att3", title: "huge.txt", mediaType: "text/plain", bytes: big)
            // Declares 10 bytes, sends 4 KiB: the download stops at the limit.
            harness.confluence.putAttachment(page: "P2", id: "att4", title: "liar.txt", mediaType: "text/plain", bytes: big,
                                             declaredSize: 10)
            harness.confluence.putAttachment(page: "P2", id: "att5", title: "photo.png", mediaType: "image/png", bytes: [0x89, 0x50])
            harness.confluence.putAttachment(page: "P2", id: "att6", title: "secret.pdf", mediaType: "application/pdf",
                                             text: "FAIL:encrypted")
            harness.confluence.putAttachment(page: "P2", id: "att7", title: "crash.pdf", mediaType: "application/pdf",
                                             text: "FAIL:extraction_failed")
            harness.confluence.putAttachment(page: "P2", id: "att8", title: "notes.md", mediaType: nil,
                                             text: "# Ledger\n\nThe pangolin fund is closed.")
            _ = try await harness.engine.create(harness.configuration("docs") { $0.content.maxAttachmentBytes = 2_048 }, secret: nil)
            let ready = try await harness.ready("docs")
            #expect(ready.indexed == 2 && ready.failed == 0)
            #expect(ready.attachments == AttachmentCounts(
                indexed: 3, skippedByReason: ["too_large": 2, "type_not_indexed": 1, "encrypted": 1], failed: 1))
            let explained = Dictionary(uniqueKeysWithValues: try harness.engine.explain(name: "docs", pageId: "P2").attachments.map { ($0.id, $0) })
            #expect(explained["att3"]?.reason == "too_large" && explained["att4"]?.reason == "too_large")
            #expect(explained["att5"]?.reason == "type_not_indexed" && explained["att6"]?.reason == "encrypted")
            #expect(explained["att7"]?.disposition == .failed && explained["att7"]?.reason == "extraction_failed")
            #expect(explained["att8"]?.disposition == .indexed)
            // The declared size alone decides: huge.txt was never downloaded (the liar was, and stopped).
            #expect(harness.confluence.requests(.download) == 2 + 1 + 3)
            let hit = try #require(try harness.engine.search(name: "docs", query: "pangolin", limit: 5).first)
            #expect(hit.attachment?.pageId == "P2" && hit.result.headingPath == ["Ledger"])
        }
    }

    @Test("Only the listed formats are indexed; a PDF passage cites its page as #page=N")
    func formatsAndPDFPages() async throws {
        try await InProcessHarness.with(options: Self.options(TestExtractor())) { harness in
            Self.seed(harness.confluence)
            harness.confluence.putAttachment(page: "P2", id: "att9", title: "report.pdf", mediaType: "application/pdf",
                                             text: "%PDF-cannedFirst page about lions.\u{0C}Second page about the quokka census.")
            _ = try await harness.engine.create(harness.configuration("docs") { $0.content.attachmentFormats = [.pdf, .csv] }, secret: nil)
            let ready = try await harness.ready("docs")
            #expect(ready.attachments == AttachmentCounts(indexed: 2, skippedByReason: ["type_not_indexed": 1], failed: 0))
            let hit = try #require(try harness.engine.search(name: "docs", query: "quokka", limit: 5).first)
            #expect(hit.attachment?.pageNumber == 2)
            #expect(hit.attachment?.url.hasSuffix("report.pdf?version=1#page=2") == true)
            #expect(hit.result.headingPath == ["Page 2"])
        }
    }

    @Test("Every extracted format, from a real file through the sandboxed helper, is found by search and cited with its file and parent page")
    func everyFormatFoundAndCited() async throws {
        // (fixture, media type, a word only that file carries, the PDF page it is on)
        let files: [(String, String, String, Int?)] = [
            ("sample.pdf", "application/pdf", "pangolin", 3),
            ("sample.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "marmalade", nil),
            ("sample.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "heliotrope", nil),
            ("sample.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zeppelin", nil),
            ("sample.odt", "application/vnd.oasis.opendocument.text", "tundra", nil),
            ("sample.ods", "application/vnd.oasis.opendocument.spreadsheet", "narwhal", nil),
            ("sample.odp", "application/vnd.oasis.opendocument.presentation", "axolotl", nil),
            ("sample.txt", "text/plain", "ocelot", nil),
            ("sample.md", "text/markdown", "tapir", nil),
            ("sample.csv", "text/csv", "alpaca", nil),
            ("sample.json", "application/json", "iguana", nil),
            ("sample.xml", "application/xml", "egret", nil),
            ("sample.html", "text/html", "mongoose", nil),
        ]
        #expect(Set(files.map { DocumentFormat.declared(mediaType: $0.1, fileName: $0.0) }).count == DocumentFormat.allCases.count)
        var options = InProcessHarness.options()
        options.extractor = SandboxedExtractor(helperPath: try BuiltProducts.path(of: "tributary-extract"))
        try await InProcessHarness.with(options: options) { harness in
            harness.confluence.putPage(space: "DOC", id: "P1", title: "Library", body: "<p>Where the files live.</p>")
            for (index, file) in files.enumerated() {
                harness.confluence.putAttachment(page: "P1", id: "f\(index)", title: file.0, mediaType: file.1,
                                                 bytes: try ExtractionFixtures.bytes(file.0))
            }
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let ready = try await harness.ready("docs")
            #expect(ready.attachments == AttachmentCounts(indexed: files.count, skippedByReason: [:], failed: 0))
            for (index, file) in files.enumerated() {
                let hit = try #require(try harness.engine.search(name: "docs", query: file.2, limit: 3).first, "\(file.0)")
                let attachment = try #require(hit.attachment, "\(file.0)")
                #expect(attachment.id == "f\(index)" && attachment.title == file.0 && attachment.pageId == "P1", "\(file.0)")
                #expect(attachment.pageTitle == "Library" && hit.url == "https://example.atlassian.net/wiki/spaces/DOC/pages/P1")
                let page = file.3.map { "#page=\($0)" } ?? ""
                #expect(attachment.url == "https://example.atlassian.net/wiki/download/attachments/P1/\(file.0)?version=1\(page)")
                #expect(attachment.pageNumber == file.3, "\(file.0)")
            }
        }
    }

    @Test("Credits: each attachment version is charged once, with the pages' ledger")
    func creditsOncePerVersion() async throws {
        try await InProcessHarness.with(options: Self.options(TestExtractor())) { harness in
            Self.seed(harness.confluence)
            _ = try await harness.engine.addCredits(millicredits: 1_000_000, note: "test")
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let first = try await harness.ready("docs")
            func attachmentCharges() throws -> [String] {
                try harness.temporary.store.read { try harness.engine.parts.ledger.allEntries($0) }
                    .filter { $0.kind == .charge && ($0.pageId ?? "").hasPrefix(AttachmentEntry.documentPrefix) }
                    .map { "\($0.pageId ?? "")@\($0.pageVersion ?? 0)" }
            }
            #expect(try attachmentCharges().sorted() == ["attachment:att1@1", "attachment:att2@1"])
            let second = try await ready(harness, after: first.record.cycle)
            #expect(try attachmentCharges().count == 2)
            harness.confluence.putAttachment(page: "P1", id: "att2", title: "costs.csv", mediaType: "text/csv", text: "item\nkiwi\n")
            _ = try await ready(harness, after: second.record.cycle)
            #expect(try attachmentCharges().sorted() == ["attachment:att1@1", "attachment:att2@1", "attachment:att2@2"])
        }
    }

    @Test("An attachment listing that keeps failing ends the sweep for the cycle: the cycle completes, the next one indexes them")
    func sweepGivesUp() async throws {
        var options = Self.options(TestExtractor())
        options.maxAttempts = 2
        try await InProcessHarness.with(options: options) { harness in
            Self.seed(harness.confluence)
            harness.confluence.fail(.attachments, with: .transient, times: 2)
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            _ = try await harness.until("docs", "a retry") { $0.record.lastError != nil }
            harness.clock.advance(byMillis: 10_000)
            let first = try await harness.ready("docs")
            #expect(first.indexed == 2 && first.attachments?.indexed == 0)
            let next = try await ready(harness, after: first.record.cycle)
            #expect(next.attachments?.indexed == 2)
        }
    }

    @Test("Attachments turned off: the next cycle removes the recorded files and their text, and later cycles do not walk the pages for them")
    func attachmentsTurnedOff() async throws {
        try await InProcessHarness.with(options: Self.options(TestExtractor())) { harness in
            Self.seed(harness.confluence)
            for number in 3...400 {
                harness.confluence.putPage(space: "DOC", id: "P\(number)", title: "Page \(number)", body: "<p>Filler \(number).</p>")
            }
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let first = try await harness.ready("docs")
            #expect(first.indexed == 400 && first.attachments?.indexed == 2)
            _ = try await harness.engine.update(name: "docs", secret: nil) { $0.content.attachmentFormats = [] }
            let off = try await harness.until("docs", "the cycle after the change ready") {
                $0.record.cycle > first.record.cycle && $0.record.state == .ready
            }
            #expect((off.attachments?.indexed ?? 0) == 0)
            #expect(try harness.engine.search(name: "docs", query: "okapi", limit: 5).isEmpty)
            #expect(try harness.engine.search(name: "docs", query: "zebra", limit: 5).isEmpty)
            #expect(try harness.engine.explain(name: "docs", pageId: "P1").attachments.isEmpty)
            // One edited page: the cycle commits its page and its own steps, not a sweep step per
            // 25 pages (this space's 400 pages were 16 steps of 3 durable commits each).
            harness.confluence.putPage(space: "DOC", id: "P7", title: "Page 7", body: "<p>Edited walrus text.</p>")
            let syncs = harness.temporary.store.syncCount
            let next = try await ready(harness, after: off.record.cycle)
            let commits = harness.temporary.store.syncCount - syncs
            #expect(next.indexed == 400)
            #expect(try harness.engine.search(name: "docs", query: "walrus", limit: 5).first?.result.pageID == "P7")
            #expect(commits <= 20, "a cycle with one edited page and no attachments made \(commits) durable commits")
        }
    }

    @Test("Pending counts the known files whose page this cycle's sweep has not reached yet; 0 at rest")
    func pendingDuringSweep() async throws {
        let harness = try InProcessHarness(options: Self.options(TestExtractor()), confluence: InMemoryConfluence(siteAttachmentListing: false))
        Self.seed(harness.confluence)
        harness.confluence.putPage(space: "DOC", id: "P3", title: "Zoo", body: "<p>Animals.</p>")
        harness.confluence.putAttachment(page: "P3", id: "att10", title: "walrus.txt", mediaType: "text/plain", text: "walrus feeding times")
        try await runStarted(harness.engine) {
            _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
            let first = try await harness.ready("docs")
            #expect(first.attachments?.indexed == 3 && first.attachments?.pending == 0)
            // Next cycle: P1's new version commits (the sweep is past P1), P3's listing fails: its file waits.
            harness.confluence.putAttachment(page: "P1", id: "att2", title: "costs.csv", mediaType: "text/csv", text: "item,amount\nokapi feed,1300\n")
            harness.confluence.failAttachmentListing(page: "P3", with: .transient)
            _ = try await harness.engine.resync(name: "docs")
            let waiting = try await harness.until("docs", "a retry of the sweep") {
                $0.record.cycle > first.record.cycle && $0.record.lastError != nil
            }
            #expect(waiting.attachments?.pending == 1 && waiting.attachments?.indexed == 3, "\(String(describing: waiting.attachments))")
            harness.clock.advance(byMillis: 10_000)
            let next = try await harness.until("docs", "the cycle ready") { $0.record.cycle > first.record.cycle && $0.record.state == .ready }
            #expect(next.attachments == AttachmentCounts(indexed: 3, skippedByReason: [:], failed: 0, pending: 0))
        }
    }

    @Test("A restart while a page's attachments are retried gives the same index and charges as a clean run",
          arguments: [true, false])
    func restartMidSweep(siteListing: Bool) async throws {
        func outcome(_ harness: InProcessHarness) throws -> ([String], [String], Int) {
            let id = try harness.engine.identifier(of: "docs")
            let entries = try harness.temporary.store.read { txn in
                try ["P1", "P2", "P3"].flatMap { try harness.engine.parts.attachments.attachments(txn, datastore: id, pageId: $0) }
            }.map { "\($0.id):\($0.disposition.rawValue):\($0.versionIndexed ?? 0):\($0.chunks)" }
            let charges = try harness.temporary.store.read { try harness.engine.parts.ledger.allEntries($0) }
                .filter { $0.kind == .charge }.map { "\($0.pageId ?? "")@\($0.pageVersion ?? 0)" }.sorted()
            let hits = try ["crossing", "okapi", "walrus"].reduce(0) { $0 + (try harness.engine.search(name: "docs", query: $1, limit: 10).count) }
            return (entries, charges, hits)
        }
        func seed(_ confluence: InMemoryConfluence) {
            Self.seed(confluence)
            confluence.putPage(space: "DOC", id: "P3", title: "Zoo", body: "<p>Animals.</p>")
            confluence.putAttachment(page: "P3", id: "att10", title: "walrus.txt", mediaType: "text/plain", text: "walrus feeding times")
        }
        let clean = try InProcessHarness(options: Self.options(TestExtractor()),
                                         confluence: InMemoryConfluence(siteAttachmentListing: siteListing))
        seed(clean.confluence)
        var expected: ([String], [String], Int) = ([], [], 0)
        try await runStarted(clean.engine) {
            _ = try await clean.engine.addCredits(millicredits: 1_000_000, note: "test")
            _ = try await clean.engine.create(clean.configuration("docs"), secret: nil)
            _ = try await clean.ready("docs")
            expected = try outcome(clean)
        }

        let harness = try InProcessHarness(options: Self.options(TestExtractor()),
                                           confluence: InMemoryConfluence(siteAttachmentListing: siteListing))
        seed(harness.confluence)
        // P1's attachments commit, then P3's download (site listing) or P2's listing (page by
        // page) fails: the job waits for its retry.
        if siteListing {
            harness.confluence.failDownload(attachment: "att10", with: .transient)
        } else {
            harness.confluence.failAttachmentListing(page: "P2", with: .transient)
        }
        try await harness.engine.start()
        _ = try await harness.engine.addCredits(millicredits: 1_000_000, note: "test")
        _ = try await harness.engine.create(harness.configuration("docs"), secret: nil)
        _ = try await harness.until("docs", "a retry of the attachment sweep") { $0.record.lastError != nil }
        #expect(try harness.engine.search(name: "docs", query: "okapi", limit: 5).count == 1)
        try await harness.restart()
        harness.clock.advance(byMillis: 10_000)
        _ = try await harness.ready("docs")
        let after = try outcome(harness)
        await harness.engine.stop()
        #expect(after.0 == expected.0)
        #expect(after.1 == expected.1)
        #expect(after.2 == expected.2 && after.2 == 3)
    }
}
