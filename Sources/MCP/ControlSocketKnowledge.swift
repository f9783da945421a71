import Control
import Synchronization

/// The tools' knowledge over the daemon's control socket: the bridge of `tributaryctl mcp`.
///
/// Connections are opened when needed and kept for reuse (a few idle ones), so concurrent
/// calls run on connections of their own. A kept connection that fails because the daemon
/// restarted is dropped and the call is tried once more on a fresh one; when the daemon cannot
/// be reached at all the call fails with ``MCPToolError/unavailable(_:)`` and the bridge keeps
/// serving, connecting again on the next call.
public final class ControlSocketKnowledge: MCPKnowledge {
    public let socketPath: String
    private let idle = Mutex<[ControlClient]>([])
    private static let maxIdle = 4

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    deinit {
        idle.withLock { clients in clients.forEach { $0.close() } }
    }

    public func search(_ request: SearchRequest) async throws(MCPToolError) -> [SearchHit] {
        try await withClient { client throws(ControlClientError) in try await client.search(request) }
    }

    public func page(_ request: PageRequest) async throws(MCPToolError) -> PageContent {
        try await withClient { client throws(ControlClientError) in try await client.page(request) }
    }

    public func datastores() async throws(MCPToolError) -> [DatastoreStatus] {
        try await withClient { client throws(ControlClientError) in try await client.list() }
    }

    public func ask(_ request: AskRequest) async throws(MCPToolError) -> AskAnswer {
        try await withClient { client throws(ControlClientError) in try await client.ask(request) }
    }

    private func withClient<T: Sendable>(
        _ body: (ControlClient) async throws(ControlClientError) -> T
    ) async throws(MCPToolError) -> T {
        while true {
            let (client, reused) = try await acquire()
            do {
                let value = try await body(client)
                release(client)
                return value
            } catch {
                switch error {
                case .control(let control):
                    release(client)
                    throw .control(control)
                case .protocolError(let reason):
                    client.close()
                    throw .control(.internalError(message: "unexpected answer from tributaryd: \(reason)"))
                case .unreachable, .connectionLost:
                    client.close()
                    // A kept connection may predate a restart of the daemon: retry on a new one.
                    if reused { continue }
                    throw .unavailable(Self.unreachable(error))
                }
            }
        }
    }

    private func acquire() async throws(MCPToolError) -> (ControlClient, reused: Bool) {
        if let client = idle.withLock({ $0.popLast() }) { return (client, true) }
        do {
            return (try await ControlClient.connect(socketPath: socketPath), false)
        } catch {
            throw .unavailable(Self.unreachable(error))
        }
    }

    private func release(_ client: ControlClient) {
        let kept = idle.withLock { clients in
            guard clients.count < Self.maxIdle else { return false }
            clients.append(client)
            return true
        }
        if !kept { client.close() }
    }

    static func unreachable(_ error: ControlClientError) -> String {
        "tributaryd is unreachable, so Tributary's index cannot be read right now (\(error.description)); "
            + "start the daemon, or check the socket path given to tributaryctl mcp"
    }
}
