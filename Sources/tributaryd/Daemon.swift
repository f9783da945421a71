import Answering
import Control
import Dispatch
import Engine
import Foundation
import Glibc
import HTTPServer
import Logging
import MCP
import Storage
import Systemd
import TributaryEvents
import Varlink

/// Wires the store, the engine, the control socket and systemd together, and runs until
/// SIGTERM or SIGINT. SIGHUP reloads the configuration and `datastores.d`.
final class Daemon: @unchecked Sendable {
    var configuration: DaemonConfiguration
    let stateDirectory: String
    let socketPath: String
    let configPath: String?
    let logger: Logger
    let notifier = Notifier()
    /// The chat model answers use; replaced on reload.
    let modelSettings = ModelSettings()
    /// Where to serve MCP over HTTP; nil: not served.
    let mcpAddress: ListenAddress?

    init(configuration: DaemonConfiguration, stateDirectory: String, socketPath: String, configPath: String?, logger: Logger,
         mcpAddress: ListenAddress? = nil) {
        self.configuration = configuration
        self.stateDirectory = stateDirectory
        self.socketPath = socketPath
        self.configPath = configPath
        self.logger = logger
        self.mcpAddress = mcpAddress
    }

    func run() async throws {
        // Opening and checking the store can take a while on a big state: ask systemd for time.
        notify([.extendTimeout(microseconds: 120_000_000), .status("opening the store in \(stateDirectory)")])
        let lock = try lockStateDirectory()
        defer { close(lock) }
        MapGrowthObservers.add { [logger] event in
            logger.notice("the store's map grew from \(event.previousSize >> 20) MiB to \(event.newSize >> 20) MiB",
                          metadata: TributaryEvent.mapGrown.metadata([
                              MetadataKey.previousMapSize: "\(event.previousSize)", MetadataKey.mapSize: "\(event.newSize)",
                          ]))
        }
        let store: Store
        do {
            store = try Store(configuration: StoreConfiguration(directory: stateDirectory))
        } catch {
            throw DaemonError(message: "cannot open the state store in \(stateDirectory): \(error)", exitCode: 73)
        }
        var options = EngineOptions()
        options.maxConcurrentDatastores = configuration.maxConcurrentDatastores
        options.defaultRateLimit = configuration.defaultRateLimit
        if let stall = ProcessInfo.processInfo.environment["TRIBUTARY_FAULT_STALL_SCHEDULER_AFTER_MS"].flatMap(Int64.init) {
            options.faultStallSchedulerAtMillis = Int64(Date().timeIntervalSince1970 * 1_000) + stall
            logger.warning("fault injection: the engine's scheduler will stall \(stall) ms after start")
        }
        let engine: Engine
        do {
            engine = try Engine(store: store, options: options, logger: Logger(label: "tributary.engine"))
            try await engine.start(initialCredits: configuration.initialMillicredits, autoTopOff: configuration.autoTopOff,
                                   millicreditsPerThousandTokens: configuration.millicreditsPerThousandTokens)
        } catch {
            throw DaemonError(message: "cannot start the engine: \(error)", exitCode: 70)
        }
        await applyDatastoreFiles(engine)

        applyModelSettings()
        let backend = EngineBackend(engine: engine, logger: Logger(label: "tributary.control"), version: Tributaryd.version,
                                    modelSettings: modelSettings)
        let server = ControlServer(backend: backend, authorizer: .system(), logger: Logger(label: "tributary.control"),
                                   version: Tributaryd.version)
        do {
            if let passed = try SocketActivation.passedSocket(named: "control") ?? SocketActivation.passedSockets().first {
                try server.start(.listeningDescriptor(passed.fileDescriptor))
                logger.info("serving the control socket passed by systemd")
            } else {
                try FileManager.default.createDirectory(atPath: (socketPath as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                try server.start(.path(socketPath, mode: 0o660))
                logger.info("serving the control socket at \(socketPath)")
            }
        } catch {
            await engine.stop()
            throw DaemonError(message: "cannot listen on the control socket \(socketPath): \(error)", exitCode: 71)
        }

        var mcpServer: HTTPServer?
        if let mcpAddress {
            do {
                mcpServer = try startMCP(at: mcpAddress, backend: backend, engine: engine)
            } catch {
                await server.stop()
                await engine.stop()
                throw DaemonError(message: "cannot serve MCP over HTTP at \(mcpAddress): \(error)", exitCode: 71)
            }
        }

        let count = (try? await engine.list().count) ?? 0
        logger.notice("tributaryd \(Tributaryd.version) ready with \(count) datastores",
                      metadata: TributaryEvent.daemonReady.metadata([MetadataKey.version: "\(Tributaryd.version)",
                                                                     MetadataKey.datastores: "\(count)"]))
        notify([.ready, .status(await statusLine(engine))])

        let signals = SignalStream([SIGTERM, SIGINT, SIGHUP])
        let background = Task { await self.maintain(engine) }
        for await signal in signals.stream {
            if signal == SIGHUP {
                await reload(engine)
                continue
            }
            let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
            logger.notice("stopping on \(name)", metadata: TributaryEvent.daemonStopping.metadata([MetadataKey.reason: "\(name)"]))
            break
        }
        notify([.stopping, .status("stopping")])
        background.cancel()
        await mcpServer?.stop()
        await server.stop()
        await engine.stop(timeout: .seconds(15))
        logger.info("stopped")
    }

    /// The MCP Streamable HTTP endpoint over the same backend as the control socket, with keys
    /// checked against the store at every request (a revoked key fails at once).
    private func startMCP(at address: ListenAddress, backend: EngineBackend, engine: Engine) throws -> HTTPServer {
        let keys = try engine.mcpKeys()
        let mcp = MCPServer(knowledge: EngineKnowledge(backend: backend), version: Tributaryd.version,
                            logger: Logger(label: "tributary.mcp"))
        let endpoint = MCPHTTPEndpoint(server: mcp, allowedOrigins: configuration.mcpAllowedOrigins,
                                       logger: Logger(label: "tributary.mcp.http"), verifyKey: { keys.verify($0) })
        let http = HTTPServer(logger: Logger(label: "tributary.mcp.http")) { await endpoint.respond(to: $0) }
        let bound = try http.start(address)
        logger.notice("serving MCP over HTTP at http://\(bound)\(MCPHTTPEndpoint.path)")
        return http
    }

    /// Status lines and watchdog pings. The ping is driven by the engine's own heartbeat: if the
    /// scheduler stalls, pings stop and systemd restarts the service.
    private func maintain(_ engine: Engine) async {
        let watchdog = notifier.watchdogInterval()
        let tick: Duration = watchdog.map { min($0 / 3, .seconds(2)) } ?? .seconds(2)
        var lastStatus = ""
        while !Task.isCancelled {
            if watchdog != nil, engine.heartbeatAgeMillis < 10_000 {
                notify([.watchdog])
            }
            let status = await statusLine(engine)
            if status != lastStatus {
                notify([.status(status)])
                lastStatus = status
            }
            try? await Task.sleep(for: tick)
        }
    }

    /// "3 datastores: 2 ready, 1 processing 45%".
    func statusLine(_ engine: Engine) async -> String {
        guard let snapshots = try? await engine.list() else { return "store unreadable" }
        if snapshots.isEmpty { return "no datastores yet; create one with tributaryctl create" }
        var parts: [String] = []
        let order = ["ready", "processing", "syncing_metadata", "paused", "failed"]
        let grouped = Dictionary(grouping: snapshots, by: { $0.record.state.name })
        for state in order {
            guard let group = grouped[state] else { continue }
            var part = "\(group.count) \(state)"
            if state == "processing" {
                let done = group.reduce(0) { $0 + $1.record.phaseDone }
                let total = group.reduce(0) { $0 + max($1.record.phaseTotal, $1.record.phaseDone + $1.pending) }
                if total > 0 { part += " \(done * 100 / total)%" }
            }
            parts.append(part)
        }
        return "\(snapshots.count) datastore\(snapshots.count == 1 ? "" : "s"): " + parts.joined(separator: ", ")
    }

    private func reload(_ engine: Engine) async {
        notify([.reloading, .status("reloading the configuration")])
        if let configPath {
            do {
                configuration = try DaemonConfiguration.load(path: configPath)
            } catch {
                logger.error("reload: \(error); keeping the previous settings",
                             metadata: TributaryEvent.configRejected.metadata([
                                 MetadataKey.file: "\(configPath)", MetadataKey.reason: "\(error)",
                             ]))
            }
        }
        applyModelSettings()
        let report = await applyDatastoreFiles(engine)
        logger.notice("configuration reloaded: \(report.created.count) created, \(report.updated.count) updated, \(report.rejected.count) rejected",
                      metadata: TributaryEvent.configReloaded.metadata([
                          MetadataKey.file: "\(configPath ?? "-")",
                          MetadataKey.datastores: "\(report.created.count + report.updated.count + report.unchanged.count)",
                      ]))
        notify([.ready, .status(await statusLine(engine))])
    }

    /// Hands the `llm_*` settings to `ask` and says which model answers (never its key).
    private func applyModelSettings() {
        modelSettings.update(configuration.model)
        if let model = configuration.model {
            logger.info("answers use the model \(model.model) at \(ChatEndpoint.displayURL(model.url))")
        } else {
            logger.info("no model is configured (llm_url): answers are the best passages")
        }
    }

    @discardableResult
    private func applyDatastoreFiles(_ engine: Engine) async -> DeclarativeReport {
        // Set by DaemonConfiguration.load beside the file; nil when no file was read.
        guard let directory = configuration.datastoresDirectory else { return DeclarativeReport() }
        let report = await engine.applyDeclarativeDatastores(directory: directory)
        if !(report.created.isEmpty && report.updated.isEmpty && report.rejected.isEmpty) {
            logger.info("datastores.d: created \(report.created), updated \(report.updated), \(report.rejected.count) rejected")
        }
        return report
    }

    /// One daemon per state directory: a second one would corrupt nothing (LMDB locks) but
    /// would double every request to Confluence.
    private func lockStateDirectory() throws -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw DaemonError(message: "cannot create the state directory \(stateDirectory): \(error.localizedDescription)", exitCode: 73)
        }
        let path = stateDirectory + "/tributaryd.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DaemonError(message: "cannot open \(path): \(String(cString: strerror(errno)))", exitCode: 73)
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw DaemonError(message: "another tributaryd is already using \(stateDirectory)", exitCode: 75)
        }
        return fd
    }

    private func notify(_ states: [NotifyState]) {
        do {
            _ = try notifier.notify(states)
        } catch {
            logger.warning("sd_notify failed: \(error)")
        }
    }
}

/// Delivers SIGTERM/SIGINT/SIGHUP as an async stream (the default actions are disabled).
final class SignalStream: @unchecked Sendable {
    let stream: AsyncStream<Int32>
    /// Kept alive for the daemon's lifetime; only touched in `init`.
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        var sources: [any DispatchSourceSignal] = []
        var mask = sigset_t()
        sigemptyset(&mask)
        for number in signals {
            signal(number, SIG_IGN)
            sigaddset(&mask, number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        // A parent (a test runner, a shell) may have blocked them; we handle them now.
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        self.sources = sources
    }
}
