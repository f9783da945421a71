import Control
import Foundation
import Synchronization
import Testing
import Varlink

@Suite("Assistant methods: Search with filters, ReadPage, Ask, MCP keys", .serialized)
struct AssistantContractTests {
    @Test("Search carries several datastores and the filters; ReadPage pages; Ask streams deltas before the answer")
    func roundTrips() async throws {
        let running = try RunningServer.start()
        let client = try await ControlClient.connect(socketPath: running.path)
        let request = SearchRequest(datastores: ["handbook"], query: "expense", limit: 2, spaces: ["HB", "OPS"],
                                    labels: ["policy"], modifiedAfter: "2026-01-01")
        #expect(try await client.search(request).count == 2)
        #expect(await running.backend.lastSearchRequest == request)
        // Neither name nor names: every datastore.
        _ = try await client.search(SearchRequest(query: "expense"))
        #expect(await running.backend.lastSearchRequest?.datastores == [])

        let first = try await client.page(PageRequest(datastore: "handbook", page: "101", maxChars: 10))
        #expect(first.text.unicodeScalars.count == 10)
        let next = try #require(first.nextOffset)
        let rest = try await client.page(PageRequest(datastore: "handbook", page: "101", offset: next))
        #expect(rest.nextOffset == nil)
        #expect((first.text + rest.text).unicodeScalars.count == first.totalChars)

        let deltas = DeltaLog()
        let answer = try await client.ask(AskRequest(datastores: ["handbook"], question: "receipts?")) { deltas.append($0) }
        #expect(deltas.all == ["Keep ", "receipts [1]."])
        #expect(answer.citations.map(\.n) == [1])
        #expect(answer.mode == "generated")

        let created = try await client.createMCPKey(label: "laptop")
        #expect(created.key == "trb_fake_laptop")
        #expect(try await client.listMCPKeys().map(\.label) == ["laptop"])
        await #expect(throws: ControlClientError.control(.keyExists(label: "laptop"))) {
            try await client.createMCPKey(label: "laptop")
        }
        try await client.revokeMCPKey(label: "laptop")
        await #expect(throws: ControlClientError.control(.noSuchKey(label: "laptop"))) {
            try await client.revokeMCPKey(label: "laptop")
        }
        client.close()
        await running.stop()
    }

    @Test("Out-of-range and malformed values are InvalidParameter naming the member")
    func validation() async throws {
        let running = try RunningServer.start()
        let client = try await ControlClient.connect(socketPath: running.path)
        func parameter(_ body: () async throws(ControlClientError) -> Void) async -> String? {
            do {
                try await body()
                return nil
            } catch {
                guard case .control(.invalidParameter(let parameter, _)) = error else { return "unexpected \(error)" }
                return parameter
            }
        }
        #expect(await parameter { () throws(ControlClientError) in _ = try await client.search(SearchRequest(query: "x", modifiedAfter: "last tuesday")) } == "modifiedAfter")
        #expect(await parameter { () throws(ControlClientError) in _ = try await client.search(SearchRequest(query: String(repeating: "a", count: 5_000))) } == "query")
        #expect(await parameter { () throws(ControlClientError) in _ = try await client.page(PageRequest(datastore: "handbook", page: "101", maxChars: 0)) } == "maxChars")
        #expect(await parameter { () throws(ControlClientError) in _ = try await client.page(PageRequest(datastore: "handbook", page: "101", offset: -1)) } == "offset")
        #expect(await parameter { () throws(ControlClientError) in _ = try await client.ask(AskRequest(question: "  ")) } == "question")
        #expect(await parameter { () throws(ControlClientError) in _ = try await client.ask(AskRequest(question: "q", passages: 21)) } == "passages")
        #expect(await parameter { () throws(ControlClientError) in _ = try await client.createMCPKey(label: "has space") } == "label")
        #expect(await parameter { () throws(ControlClientError) in _ = try await client.createMCPKey(label: String(repeating: "k", count: 65)) } == "label")
        client.close()
        await running.stop()
    }

    @Test("ISO 8601 dates: dates, date-times, zones and fractions; nonsense refused")
    func isoDates() {
        #expect(ISODateTime.parse("1970-01-01") == 0)
        #expect(ISODateTime.parse("2026-01-31") == 1_769_817_600_000)
        #expect(ISODateTime.parse("2026-01-31T12:00:00Z") == 1_769_860_800_000)
        #expect(ISODateTime.parse("2026-01-31T14:00:00+02:00") == 1_769_860_800_000)
        #expect(ISODateTime.parse("2026-01-31T12:00:00.250Z") == 1_769_860_800_250)
        #expect(ISODateTime.parse("2024-02-29") != nil)
        for bad in ["2025-02-29", "2026-13-01", "2026-01-31T25:00", "2026-01-31T12:00:00Zjunk", "", "yesterday"] {
            #expect(ISODateTime.parse(bad) == nil, "\(bad)")
        }
        for millis: Int64 in [0, 1_769_860_800_000, 1_769_860_800_250, 951_782_400_000] {
            #expect(ISODateTime.parse(ISODateTime.format(millis: millis)) == millis)
        }
        #expect(ISODateTime.format(millis: 1_769_860_800_000) == "2026-01-31T12:00:00Z")
    }
}

/// Deltas as a streamed Ask delivered them, in order.
final class DeltaLog: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}
