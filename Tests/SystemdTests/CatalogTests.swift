import Foundation
import SystemdTestSupport
import Testing
import TributaryEvents

/// One `-- ID` entry of systemd/tributary.catalog, as the file spells it.
private struct CatalogEntry {
    var id: String
    var headers: [String: [String]] = [:]
    var body = ""
}

/// Reads the catalog the way docs/CATALOG.md describes it: `-- ID` opens an entry, `Key: value`
/// headers until a blank line, then the text; `#` lines outside entries are comments.
private func parseCatalog(_ text: String) throws -> [CatalogEntry] {
    var entries: [CatalogEntry] = []
    var inHeaders = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if line.hasPrefix("-- ") {
            entries.append(CatalogEntry(id: String(line.dropFirst(3))))
            inHeaders = true
        } else if entries.isEmpty {
            #expect(line.isEmpty || line.hasPrefix("#"), "text before the first entry: \(line)")
        } else if inHeaders {
            if line.isEmpty {
                inHeaders = false
                continue
            }
            let parts = line.split(separator: ":", maxSplits: 1)
            try #require(parts.count == 2, "not a header: \(line)")
            entries[entries.count - 1].headers[String(parts[0]), default: []].append(parts[1].trimmingCharacters(in: .whitespaces))
        } else {
            entries[entries.count - 1].body += line + "\n"
        }
    }
    return entries
}

@Suite("Journal catalog", .serialized)
struct CatalogTests {
    @Test("Every event has exactly one complete catalog entry, and every entry is an event")
    func entriesMatchEvents() throws {
        let entries = try parseCatalog(try Repository.contents("systemd/tributary.catalog"))
        #expect(entries.map(\.id).sorted() == TributaryEvent.allCases.map(\.messageID).sorted())
        #expect(Set(entries.map(\.id)).count == entries.count, "an id appears twice")
        for entry in entries {
            #expect(entry.id.count == 32 && entry.id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(entry.id)")
            for header in ["Subject", "Defined-By", "Support", "Documentation"] {
                #expect(entry.headers[header]?.first?.isEmpty == false, "\(entry.id) lacks \(header)")
            }
            #expect(entry.body.trimmingCharacters(in: .whitespacesAndNewlines).count > 80, "\(entry.id): say what to do")
        }
    }

    @Test("@FIELD@ substitutions name fields the event's log call carries")
    func substitutionsUseEventFields() throws {
        let entries = try parseCatalog(try Repository.contents("systemd/tributary.catalog"))
        for event in TributaryEvent.allCases {
            let entry = try #require(entries.first { $0.id == event.messageID })
            let text = (entry.headers["Subject"] ?? []).joined() + entry.body
            let available = Set(event.fields.map { "TRIBUTARY_" + MetadataKey.words(in: $0).joined(separator: "_").uppercased() })
            let used = Set(text.split(separator: "@", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.map { String($0.element) })
            #expect(text.filter { $0 == "@" }.count % 2 == 0, "\(event): unpaired @")
            #expect(used.isSubset(of: available), "\(event) uses \(used.subtracting(available))")
            #expect(!used.isEmpty || event.fields.isEmpty, "\(event): the text names none of its fields")
        }
    }

    @Test("journalctl builds a catalog database from the file and lists every id with its subject")
    func journalctlAcceptsCatalog() async throws {
        let root = NSTemporaryDirectory() + "/tributary-catalog-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/usr/lib/systemd/catalog", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Repository.path("systemd/tributary.catalog"), toPath: root + "/usr/lib/systemd/catalog/tributary.catalog")
        let update = try await Command.run("/bin/journalctl", ["--root=\(root)", "--update-catalog"])
        #expect(update.status == 0, "\(update.standardError)")
        #expect(update.standardError.isEmpty, "journalctl complained: \(update.standardError)")
        #expect(FileManager.default.fileExists(atPath: root + "/var/lib/systemd/catalog/database"))

        let list = try await Command.run("/bin/journalctl", ["--root=\(root)", "--list-catalog"])
        #expect(list.status == 0)
        let listed = Dictionary(uniqueKeysWithValues: list.standardOutput.split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        })
        let entries = try parseCatalog(try Repository.contents("systemd/tributary.catalog"))
        #expect(listed.count == entries.count)
        for entry in entries {
            #expect(listed[entry.id] == (entry.headers["Defined-By"]?.first ?? "") + ": " + (entry.headers["Subject"]?.first ?? ""), "\(entry.id)")
        }
        // The full text comes back too, with its substitutions intact.
        let dump = try await Command.run(
            "/bin/journalctl", ["--root=\(root)", "--dump-catalog", TributaryEvent.datastoreFailed.messageID])
        #expect(dump.standardOutput.contains("Datastore @TRIBUTARY_DATASTORE@ stopped syncing: @TRIBUTARY_REASON@."))
    }
}
