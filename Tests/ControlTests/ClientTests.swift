import Control
import Foundation
import Testing
import Varlink

@Suite("ControlClient against a ControlServer", .serialized)
struct ClientTests {
    @Test("Every method round-trips through the socket with the DTOs intact")
    func roundTrips() async throws {
        let running = try RunningServer.start()
        let client = try await ControlClient.connect(socketPath: running.path)
        #expect(try await client.list().map(\.name) == ["handbook"])
        let details = try await client.get(name: "handbook")
        #expect(details.status == FakeBackend.status("handbook", state: "ready"))
        #expect(details.config.token == nil)
        #expect(details.config.hasToken == true)
        #expect(details.config.spaces == ["HB"])
        let created = try await client.create(DatastoreSpec(name: "eng", url: "https://x/wiki/spaces/ENG", email: "a@b", token: "good-token"))
        #expect(created.state == "syncing_metadata")
        #expect(await running.backend.specs["eng"]?.token == "good-token")
        #expect(try await client.pause(name: "eng").state == "paused")
        #expect(try await client.resume(name: "eng").state == "processing")
        #expect(try await client.resync(name: "eng").state == "syncing_metadata")
        var changes = DatastoreChanges()
        changes.url = "https://y"
        #expect(try await client.update(name: "eng", changes: changes).name == "eng")
        #expect(await running.backend.specs["eng"]?.url == "https://y")
        let hits = try await client.search(name: "handbook", query: "expense", limit: 1)
        #expect(hits == Array(await running.backend.hits.prefix(1)))
        #expect(try await client.explain(name: "handbook", pageId: "101").chunks == 6)
        #expect(try await client.addCredits(millicredits: 12_345, note: "march").balanceMillicredits == 112_345)
        var policy = CreditPolicyChange()
        policy.autoTopOffEnabled = true
        #expect(try await client.setCreditPolicy(policy).autoTopOff.enabled)
        #expect(try await client.credits(recent: 3).recent.first?.pageVersion == 4)
        #expect(try await client.health().version == "0.1-test")
        #expect(try await client.interfaceDescription() == ControlInterface.description)
        try await client.delete(name: "eng")
        #expect(await running.backend.statuses["eng"] == nil)
        client.close()
        await running.stop()
    }

    @Test("Error replies come back as the ControlError the backend threw")
    func errorsMapBack() async throws {
        let running = try RunningServer.start(authorizer: Authorizer(privilegedUserIDs: [], groupID: nil))
        let client = try await ControlClient.connect(socketPath: running.path)
        await #expect(throws: ControlClientError.control(.noSuchDatastore(name: "nope"))) { try await client.get(name: "nope") }
        await #expect(throws: ControlClientError.control(.noSuchPage(datastore: "handbook", pageId: "9"))) {
            try await client.explain(name: "handbook", pageId: "9")
        }
        await #expect(throws: ControlClientError.control(.invalidParameter(parameter: "limit", message: "must be between 1 and 100"))) {
            try await client.search(name: "handbook", query: "x", limit: 500)
        }
        // Root is not privileged under this authorizer: the refusal names the method.
        do {
            _ = try await client.pause(name: "handbook")
            Issue.record("pause was allowed")
        } catch {
            guard case .control(.permissionDenied(let message)) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(message.contains("Pause"))
        }
        client.close()
        await running.stop()
    }

    @Test("An unreachable socket says so, with its path")
    func unreachable() async {
        do {
            _ = try await ControlClient.connect(socketPath: "/tmp/tributary-nothing-here.sock")
            Issue.record("connected to nothing")
        } catch {
            #expect(error.description.hasPrefix("cannot reach tributaryd at /tmp/tributary-nothing-here.sock: "))
        }
    }

    @Test("watch streams changes, ends with NoSuchDatastore on delete, and hanging up ends the backend's stream")
    func watchStream() async throws {
        let running = try RunningServer.start()
        let client = try await ControlClient.connect(socketPath: running.path)
        let statuses = try await client.watch(name: "handbook")
        var iterator = statuses.makeAsyncIterator()
        #expect(try await iterator.next()?.state == "ready")
        await running.backend.publish(FakeBackend.status("handbook", state: "syncing_metadata"))
        #expect(try await iterator.next()?.state == "syncing_metadata")
        try await client.delete(name: "handbook")
        await #expect(throws: ControlClientError.control(.noSuchDatastore(name: "handbook"))) { _ = try await iterator.next() }

        // A consumer that stops early hangs up; the server cancels the handler; the backend sees it.
        let second = FakeBackend()
        let other = try RunningServer.start(backend: second)
        let otherClient = try await ControlClient.connect(socketPath: other.path)
        let consumer = Task {
            for try await status in try await otherClient.watch(name: "handbook") where status.state == "ready" { break }
        }
        try await consumer.value
        #expect(await eventually { second.watchTerminations.count == 1 }, "the backend's watch stream was not ended")
        otherClient.close()
        client.close()
        await other.stop()
        await running.stop()
    }
}
