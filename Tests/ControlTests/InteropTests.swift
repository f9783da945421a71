import Control
import Foundation
import Testing
import Varlink

@Suite("Interoperability with the PyPI varlink client", .serialized)
struct InteropTests {
    @Test("GetInfo, List, Search, an error and a streamed Watch from a third-party client")
    func pythonClient() async throws {
        let python = try Paths.pythonWithVarlink()
        let backend = FakeBackend()
        await backend.setWatchScript([
            FakeBackend.status("handbook", state: "syncing_metadata", indexed: 40),
            FakeBackend.status("handbook", state: "processing", indexed: 45,
                               progress: ProgressReport(done: 5, total: 10, pagesPerSecond: 2.5, etaSeconds: 2)),
        ])
        let running = try RunningServer.start(backend: backend)
        let script = Paths.repositoryRoot.appendingPathComponent("Tests/ControlTests/varlink_interop.py").path
        let result = try await runAsync(python, [script, running.path, "handbook", "expense", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let seen = try json(result.stdout)
        #expect(seen["info"]?["product"] == .string("tributaryd"))
        #expect(seen["info"]?["interfaces"] == .array([.string("org.varlink.service"), .string("io.tributary.Datastores")]))
        #expect(seen["list"] == .array([.string("handbook")]))
        #expect(seen["search"]?.arrayValue?.map { $0["pageId"] } == [.string("101"), .string("102")])
        #expect(seen["search"]?.arrayValue?.first?["url"] == .string("https://wiki.example/pages/101#receipts"))
        #expect(seen["missing"]?["error"] == .string("io.tributary.Datastores.NoSuchDatastore"))
        #expect(seen["missing"]?["parameters"]?["description"]?.stringValue?.isEmpty == false)
        #expect(seen["watch"]?.arrayValue?.map { $0["state"] } == [.string("ready"), .string("syncing_metadata"), .string("processing")])
        #expect(await backend.lastSearch?.limit == 5)
        // The client hung up mid-stream: the server must have ended the backend's stream.
        #expect(await eventually { backend.watchTerminations.count == 1 })
        await running.stop()
    }
}
