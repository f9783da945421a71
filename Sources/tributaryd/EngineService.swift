import Engine
import ServiceLifecycle

/// The engine, started at start-up, as a service: it runs until the group shuts down (or is
/// cancelled), then stops the engine, waiting at most `stopTimeout` for running jobs.
///
/// First in the group, so shut down last: the servers that call it are gone by then.
struct EngineService: Service {
    let engine: Engine
    var stopTimeout: Duration = .seconds(15)

    func run() async {
        // Throws only on cancellation (a sibling failed); the engine stops either way.
        try? await gracefulShutdown()
        await runToCompletion { [engine, stopTimeout] in await engine.stop(timeout: stopTimeout) }
    }
}
