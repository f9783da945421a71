import Varlink

/// Why a `ControlClient` call failed.
public enum ControlClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket could not be opened: no daemon, wrong path, or no permission.
    case unreachable(socketPath: String, reason: String)
    /// The daemon closed the connection or stopped answering mid-call.
    case connectionLost(socketPath: String, reason: String)
    /// The daemon answered with a typed error.
    case control(ControlError)
    /// The daemon's reply does not match this client's interface (version mismatch).
    case protocolError(String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach tributaryd at \(path): \(reason)"
        case .connectionLost(let path, let reason): "lost the connection to tributaryd at \(path): \(reason)"
        case .control(let error): error.explanation
        case .protocolError(let reason): "unexpected answer from tributaryd: \(reason)"
        }
    }

    init(_ error: VarlinkClientError, socketPath: String) {
        switch error {
        case .cannotConnect(let socketError): self = .unreachable(socketPath: socketPath, reason: socketError.reason)
        case .disconnected: self = .connectionLost(socketPath: socketPath, reason: "the daemon closed the connection")
        case .timedOut: self = .connectionLost(socketPath: socketPath, reason: "timed out")
        case .io(let socketError): self = .connectionLost(socketPath: socketPath, reason: socketError.reason)
        case .remote(let varlinkError): self = .control(ControlError(varlinkError))
        case .protocolViolation(let reason): self = .protocolError(reason)
        }
    }
}

/// The status and configuration of one datastore, as `Get` returns them.
public struct DatastoreDetails: Sendable, Equatable {
    public var status: DatastoreStatus
    /// The configuration without the secret (`token` is nil; `hasToken` tells).
    public var config: DatastoreSpec
}

/// A typed async client of `io.tributary.Datastores`, for `tributaryctl` and tests.
/// Calls on one client run one after another (one connection); `watch` takes its own.
public final class ControlClient: Sendable {
    /// Where `tributaryd` listens unless told otherwise.
    public static let defaultSocketPath = "/run/tributary/control.sock"

    public let socketPath: String
    private let client: VarlinkClient

    private init(socketPath: String, client: VarlinkClient) {
        self.socketPath = socketPath
        self.client = client
    }

    /// Connects to the daemon's socket.
    public static func connect(socketPath: String = defaultSocketPath) async throws(ControlClientError) -> ControlClient {
        do {
            return ControlClient(socketPath: socketPath, client: try await VarlinkClient.connect(path: socketPath))
        } catch {
            throw ControlClientError(error, socketPath: socketPath)
        }
    }

    /// Closes the connection.
    public func close() {
        client.close()
    }

    private func call<P: Encodable & Sendable, R: Decodable & Sendable>(
        _ method: String, _ parameters: P, returning type: R.Type
    ) async throws(ControlClientError) -> R {
        do {
            return try await client.call(ControlInterface.name + "." + method, parameters, returning: R.self)
        } catch {
            throw ControlClientError(error, socketPath: socketPath)
        }
    }

    /// `Create`: the token travels in `spec.token` and is never returned.
    public func create(_ spec: DatastoreSpec) async throws(ControlClientError) -> DatastoreStatus {
        try await call("Create", Wire.Create(config: Wire.Config(spec)), returning: Wire.Status.self).status
    }

    /// `Update`: nil fields of `changes` stay as they are.
    public func update(name: String, changes: DatastoreChanges) async throws(ControlClientError) -> DatastoreStatus {
        try await call("Update", Wire.Update(name: name, changes: changes), returning: Wire.Status.self).status
    }

    /// `Delete`: the datastore, its index and its stored secret.
    public func delete(name: String) async throws(ControlClientError) {
        _ = try await call("Delete", Wire.Name(name: name), returning: Wire.Empty.self)
    }

    /// `List`: every datastore, ordered by name.
    public func list() async throws(ControlClientError) -> [DatastoreStatus] {
        try await call("List", Wire.Empty(), returning: Wire.List.self).datastores
    }

    /// `Get`: status and configuration, without the secret.
    public func get(name: String) async throws(ControlClientError) -> DatastoreDetails {
        let details = try await call("Get", Wire.Name(name: name), returning: Wire.Details.self)
        return DatastoreDetails(status: details.status, config: details.config.spec)
    }

    /// `Resync`: starts a sync cycle now.
    public func resync(name: String) async throws(ControlClientError) -> DatastoreStatus {
        try await call("Resync", Wire.Name(name: name), returning: Wire.Status.self).status
    }

    /// `Pause`: stops syncing until `resume`.
    public func pause(name: String) async throws(ControlClientError) -> DatastoreStatus {
        try await call("Pause", Wire.Name(name: name), returning: Wire.Status.self).status
    }

    /// `Resume`: resumes a paused datastore or retries a failed one.
    public func resume(name: String) async throws(ControlClientError) -> DatastoreStatus {
        try await call("Resume", Wire.Name(name: name), returning: Wire.Status.self).status
    }

    /// `Search` over one, several or all datastores, with filters.
    public func search(_ request: SearchRequest) async throws(ControlClientError) -> [SearchHit] {
        try await call("Search", Wire.Search(request), returning: Wire.SearchResults.self).results
    }

    /// `Search` in one datastore: `limit` 1…100, the daemon's default (10) when nil.
    public func search(name: String, query: String, limit: Int? = nil) async throws(ControlClientError) -> [SearchHit] {
        try await search(SearchRequest(datastores: [name], query: query, limit: limit ?? ControlInterface.defaultSearchLimit))
    }

    /// `ReadPage`: a page's Markdown, whole, one section, or a part from an offset.
    public func page(_ request: PageRequest) async throws(ControlClientError) -> PageContent {
        try await call("ReadPage", Wire.ReadPage(request), returning: Wire.Page.self).page
    }

    /// `Ask`, streamed: `onDelta` receives the answer's text as the model writes it; the
    /// returned answer is the final one (its text is authoritative: invented citations are
    /// removed from it).
    public func ask(
        _ request: AskRequest, onDelta: @Sendable (String) -> Void = { _ in }
    ) async throws(ControlClientError) -> AskAnswer {
        let replies = client.callMore(ControlInterface.name + ".Ask", Wire.Ask(request), returning: Wire.AskReply.self)
        var answer: AskAnswer?
        do {
            // Read to the end of the stream (the answer is its last reply): leaving it early
            // would hang up the shared connection.
            for try await reply in replies {
                if let delta = reply.delta { onDelta(delta) }
                if let final = reply.answer { answer = final }
            }
            if let answer { return answer }
        } catch let error as VarlinkClientError {
            throw ControlClientError(error, socketPath: socketPath)
        } catch {
            throw .protocolError("\(error)")
        }
        throw .protocolError("Ask ended without an answer")
    }

    /// `CreateMcpKey`: the key is in the reply this once, never again.
    public func createMCPKey(label: String) async throws(ControlClientError) -> MCPKeyCreated {
        let created = try await call("CreateMcpKey", Wire.KeyLabel(label: label), returning: Wire.KeyCreated.self)
        return MCPKeyCreated(label: created.label, key: created.key)
    }

    /// `ListMcpKeys`: labels and dates, never the keys.
    public func listMCPKeys() async throws(ControlClientError) -> [MCPKeyInfo] {
        try await call("ListMcpKeys", Wire.Empty(), returning: Wire.Keys.self).keys
    }

    /// `RevokeMcpKey`: the key stops working at once.
    public func revokeMCPKey(label: String) async throws(ControlClientError) {
        _ = try await call("RevokeMcpKey", Wire.KeyLabel(label: label), returning: Wire.Empty.self)
    }

    /// `Explain`: why a page is or is not in the index.
    public func explain(name: String, pageId: String) async throws(ControlClientError) -> PageExplanation {
        try await call("Explain", Wire.Explain(name: name, pageId: pageId), returning: Wire.Explanation.self).page
    }

    /// `Credits`: balance, policy and the `recent` newest ledger lines.
    public func credits(recent: Int? = nil) async throws(ControlClientError) -> CreditsReport {
        try await call("Credits", Wire.CreditsQuery(recent: recent), returning: Wire.Credits.self).credits
    }

    /// `AddCredits`: a top-up, in millicredits.
    public func addCredits(millicredits: Int64, note: String? = nil) async throws(ControlClientError) -> CreditsReport {
        try await call("AddCredits", Wire.AddCredits(millicredits: millicredits, note: note), returning: Wire.Credits.self).credits
    }

    /// `SetCreditPolicy`: auto top-off settings and the price.
    public func setCreditPolicy(_ change: CreditPolicyChange) async throws(ControlClientError) -> CreditsReport {
        try await call("SetCreditPolicy", Wire.Policy(policy: change), returning: Wire.Credits.self).credits
    }

    /// `Health`: the daemon's health report.
    public func health() async throws(ControlClientError) -> HealthReport {
        try await call("Health", Wire.Empty(), returning: Wire.Health.self).health
    }

    /// The interface definition the daemon serves (`org.varlink.service.GetInterfaceDescription`).
    public func interfaceDescription(_ interface: String = ControlInterface.name) async throws(ControlClientError) -> String {
        do {
            return try await client.call(
                "org.varlink.service.GetInterfaceDescription", Wire.InterfaceQuery(interface: interface),
                returning: Wire.InterfaceDescription.self
            ).description
        } catch {
            throw ControlClientError(error, socketPath: socketPath)
        }
    }

    /// The current status, then every change, on a connection of its own; the stream finishes
    /// with `ControlClientError.control(.noSuchDatastore)` when the datastore is deleted.
    /// Stopping the iteration hangs up, which ends the daemon's side.
    public func watch(name: String) async throws(ControlClientError) -> AsyncThrowingStream<DatastoreStatus, any Error> {
        let connection: VarlinkClient
        do {
            connection = try await VarlinkClient.connect(path: socketPath)
        } catch {
            throw ControlClientError(error, socketPath: socketPath)
        }
        let replies = connection.callMore(ControlInterface.name + ".Watch", Wire.Name(name: name), returning: Wire.Status.self)
        let socketPath = socketPath
        return AsyncThrowingStream { continuation in
            let pump = Task {
                do {
                    for try await reply in replies { continuation.yield(reply.status) }
                    continuation.finish()
                } catch let error as VarlinkClientError {
                    continuation.finish(throwing: ControlClientError(error, socketPath: socketPath))
                } catch {
                    continuation.finish(throwing: error)
                }
                connection.close()
            }
            continuation.onTermination = { _ in
                pump.cancel()
                connection.close()
            }
        }
    }
}
