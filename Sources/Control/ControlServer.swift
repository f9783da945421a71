import Logging
import Varlink

/// The control socket: `io.tributary.Datastores` over a `VarlinkServer`. The `authorizer` also
/// decides whose connections are privileged (see `VarlinkServer.Limits.reservedConnections`).
///
/// ```swift
/// let server = ControlServer(backend: engine, authorizer: .system(), logger: logger, version: "1.0")
/// try server.start(.path("/run/tributary/control.sock", mode: 0o660))   // or .listeningDescriptor(fd)
/// …
/// await server.stop()
/// ```
public final class ControlServer: Sendable {
    public let server: VarlinkServer

    public init(
        backend: any ControlBackend, authorizer: Authorizer, logger: Logger, version: String,
        limits: VarlinkServer.Limits = VarlinkServer.Limits()
    ) {
        let service = ControlInterface.service(backend: backend, authorizer: authorizer, logger: logger, version: version)
        // Whoever may mutate may also use the reserved connection slots and has no per-user
        // share: root and the daemon's group always get in, however many clients sit idle.
        server = VarlinkServer(
            service: service, limits: limits, isPrivileged: { peer in authorizer.mayMutate(peer) }, logger: logger)
    }

    /// Starts serving on `endpoint` (a path to bind, or a listening descriptor from systemd).
    public func start(_ endpoint: VarlinkServer.Endpoint) throws(VarlinkSocketError) {
        try server.start(endpoint)
    }

    /// Stops accepting, ends every stream and connection, removes a socket file it created.
    public func stop() async {
        await server.stop()
    }
}
