import Answering
import Control
import DaemonConfig
import Embeddings
import Engine
import Foundation
import Glibc
import HTTPServer
import Logging
import MCP
import ServiceLifecycle
import Storage
import Systemd
import TributaryEvents
import UnixSignals
import Varlink

/// Wires the store, the engine, the control socket and systemd together, then runs them as
/// services in one `ServiceGroup` until SIGTERM or SIGINT. SIGHUP reloads the configuration and
/// `datastores.d`.
final class Daemon: @unchecked Sendable {
    var configuration: DaemonConfiguration
    let stateDirectory: String
    let socketPath: String
    let configPath: String?
    let logger: Logger
    let notifier: DaemonNotifier
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
        notifier = DaemonNotifier(logger: logger)
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
        options.credentials = CredentialsDirectory.current()
        options.extractor = Self.makeExtractor()
        options.embedder = EmbeddingSetup.embedder(configuration.embedding, credentials: options.credentials)
        if let embedding = configuration.embedding {
            logger.info("hybrid search embeds with \(embedding.model) at \(EmbeddingEndpoint(baseURL: embedding.url, model: embedding.model).displayURL)")
        }
        let secrets = try secretSealer(credentials: options.credentials)
        let engine: Engine
        do {
            engine = try Engine(store: store, options: options, logger: Logger(label: "tributary.engine"), secrets: secrets)
            try await engine.sealStoredSecrets()
            try await engine.start(initialCredits: configuration.initialMillicredits, autoTopOff: configuration.autoTopOff,
                                   millicreditsPerThousandTokens: configuration.millicreditsPerThousandTokens)
        } catch {
            throw DaemonError(message: "cannot start the engine: \(error)", exitCode: 70)
        }
        await applyDatastoreFiles(engine)

        applyModelSettings()
        let signals = await SignalService.trapSignals()
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
        notify([.ready, .status(await StatusLine.describe(engine))])

        do {
            try await services(engine: engine, control: server, mcp: mcpServer, signals: signals).run()
        } catch {
            // The services themselves never throw: this is the group's own error.
            throw DaemonError(message: "the daemon's services failed: \(error)", exitCode: 70)
        }
        logger.info("stopped")
    }

    /// The running daemon as one group. A graceful shutdown stops the services in reverse order:
    /// signals and status first, then the servers, the engine last.
    private func services(engine: Engine, control: ControlServer, mcp: HTTPServer?, signals: UnixSignalsSequence) -> ServiceGroup {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: EngineService(engine: engine), serviceName: "engine"),
            .init(service: ControlService(server: control), serviceName: "control socket"),
        ]
        if let mcp {
            services.append(.init(service: MCPHTTPService(server: mcp), serviceName: "MCP over HTTP"))
        }
        services.append(.init(service: WatchdogStatusService(engine: engine, notifier: notifier), serviceName: "watchdog and status"))
        // SIGTERM or SIGINT ends this one; its end shuts the others down in order.
        services.append(.init(service: SignalService(signals: signals, reload: { await self.reload(engine) }, notifier: notifier,
                                                            logger: logger),
                              successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "signals"))
        var configuration = ServiceGroupConfiguration(services: services, logger: Logger(label: "tributary.lifecycle"))
        // Within systemd's TimeoutStopSec=45s: the engine waits 15 s for jobs; past 30 s the group
        // cancels what is left, and a service that ignores cancellation for 10 s more ends the process.
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        configuration.maximumCancellationDuration = .seconds(10)
        return ServiceGroup(configuration: configuration)
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

    /// The sealer for stored secrets: keyed by `secrets_key_credential` when set, else plaintext.
    /// A key that is configured but cannot be read stops the start: running on would store new
    /// tokens unsealed against the configuration.
    private func secretSealer(credentials: any CredentialReader) throws -> any SecretSealer {
        guard let name = configuration.secretsKeyCredential else { return PlaintextSecrets() }
        do {
            let sealer = try SecretsKey.sealer(credential: name, from: credentials)
            logger.info("stored secrets are sealed with the key in the systemd credential \(name)")
            return sealer
        } catch {
            throw DaemonError(message: "\(error)", exitCode: 78)
        }
    }

    private func reload(_ engine: Engine) async {
        notify([.reloading, .status("reloading the configuration")])
        if let configPath {
            do {
                let previousKey = configuration.secretsKeyCredential
                let previousEmbedding = configuration.embedding
                configuration = try DaemonConfiguration.load(path: configPath)
                if configuration.secretsKeyCredential != previousKey {
                    logger.warning("reload: a change of secrets_key_credential takes effect at the next start")
                }
                if configuration.embedding != previousEmbedding {
                    // The embedder is the engine's, made at start (a rotated key file is read at each request).
                    logger.warning("reload: a change of embedding_url, embedding_model or the embedding key source takes effect at the next start")
                }
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
        notify([.ready, .status(await StatusLine.describe(engine))])
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
        let files = DatastoreDirectory.read(directory)
        for rejected in files.rejected {
            logger.error("datastore file rejected: \(rejected)",
                         metadata: TributaryEvent.datastoreFileRejected.metadata([
                             MetadataKey.file: "\(rejected.path)", MetadataKey.reason: "\(rejected.message)",
                         ]))
        }
        var report = await engine.applyDeclarativeDatastores(files.configurations)
        report.rejected = files.rejected.map(\.description) + report.rejected
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
        notifier.send(states)
    }
}
