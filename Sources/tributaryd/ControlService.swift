import Control
import ServiceLifecycle

/// The control socket as a service. The server listens from start-up (READY=1 waits for it and a
/// bind failure has its own exit status); the group stops it: no new connections, open streams
/// ended, a socket file it created removed.
struct ControlService: Service {
    let server: ControlServer

    func run() async {
        try? await gracefulShutdown()
        await runToCompletion { [server] in await server.stop() }
    }
}
