// swift-tools-version: 6.2
import PackageDescription

/// Settings every Tributary target shares: Swift 6 mode with strict concurrency,
/// `any` spelled out, imports visible only where declared, and no warnings tolerated.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
    // Lets generic storage and search code specialize across modules in release builds (2× on reads).
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "Tributary",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tributaryd", targets: ["tributaryd"]),
        .executable(name: "tributaryctl", targets: ["tributaryctl"]),
        .executable(name: "tributary-extract", targets: ["tributary-extract"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // The daemon shell: its services in one group, graceful shutdown, signals.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C seams: each imported only by its own Swift layer.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // libstemmer ships no pkg-config file; the module map links it by name.
        .systemLibrary(name: "CStemmer", providers: [.apt(["libstemmer-dev"])]),
        // OpenSSL's libcrypto: SHA-256 and constant-time comparison for the MCP keys.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // SQLite FTS5: the search bench's baseline only.
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Swift layers.
        // Compact JSON written straight into bytes (Varlink messages, JSON-coded records).
        .target(name: "StreamingJSON", swiftSettings: strictSettings),
        .target(name: "Storage", dependencies: ["CLMDB", "StreamingJSON"], swiftSettings: strictSettings),
        .target(name: "HTTP", dependencies: ["CCurl"], swiftSettings: strictSettings),
        .target(
            name: "Confluence",
            dependencies: ["HTTP", "TributaryEvents", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(name: "Content", swiftSettings: strictSettings),
        // Attachment formats and the text-extraction seam; SandboxedExtractor runs the helper.
        .target(name: "Extraction", dependencies: ["CSandboxSpawn", "TaskThreads"], swiftSettings: strictSettings),
        // Text extraction (issue #16): the helper process, its format readers and their C seams.
        // Only tributary-extract links poppler and zlib; the daemon spawns it per file.
        .systemLibrary(name: "CPoppler", pkgConfig: "poppler-glib", providers: [.apt(["libpoppler-glib-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // fork + rlimits + namespaces + exec in C: only async-signal-safe calls between fork and exec.
        .target(name: "CSandboxSpawn"),
        .target(
            name: "ExtractionFormats", dependencies: ["Extraction", "Content", "CPoppler", "CZlib"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "tributary-extract", dependencies: ["Extraction", "ExtractionFormats"], swiftSettings: strictSettings
        ),
        // scripts/bench extraction: MB/s per format through the sandboxed helper.
        .executableTarget(name: "ExtractionBench", dependencies: ["Extraction"], swiftSettings: strictSettings),
        .testTarget(
            name: "ExtractionTests", dependencies: ["Extraction", "ExtractionFormats", "tributary-extract", "SystemdTestSupport", "EngineTestSupport"],
            swiftSettings: strictSettings
        ),
        // The documented range of every numeric input, shared by Engine and Control (issue #13).
        .target(name: "InputLimits", swiftSettings: strictSettings),
        .target(name: "Search", dependencies: ["Storage", "Content", "CStemmer"], swiftSettings: strictSettings),
        // Event ids and secret redaction shared by every module that logs; no libsystemd.
        .target(
            name: "TributaryEvents",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", "TributaryEvents", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Engine",
            dependencies: [
                "Storage", "Confluence", "Content", "Extraction", "Search", "TributaryEvents", "CCrypto",
                "InputLimits", "TaskThreads", "Embeddings",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The daemon's configuration: tributaryd.conf, datastores.d, systemd credentials and the
        // key that seals stored secrets. The engine knows none of these files.
        .target(
            name: "DaemonConfig",
            dependencies: ["Engine", "InputLimits"],
            swiftSettings: strictSettings
        ),
        // Task executors on threads of their own (calls kept off the global pool, background work at low CPU priority).
        .target(name: "CThreadControl"),
        .target(name: "TaskThreads", dependencies: ["CThreadControl"], swiftSettings: strictSettings),
        // Varlink protocol (framing, server, client): generic, knows nothing of Tributary.
        .target(
            name: "Varlink",
            dependencies: ["TaskThreads", "StreamingJSON", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The control socket: io.tributary.Datastores over Varlink, authorization, typed client.
        .target(
            name: "Control",
            dependencies: ["Varlink", "InputLimits", .product(name: "Logging", package: "swift-log")],
            exclude: ["io.tributary.Datastores.varlink"],
            swiftSettings: strictSettings
        ),

        // A small HTTP/1.1 server (poll loop, whole requests, JSON-sized answers): generic, knows nothing of MCP.
        .target(
            name: "HTTPServer",
            dependencies: ["TaskThreads", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        // The Model Context Protocol: JSON-RPC messages, both protocol generations, the tools
        // over a knowledge port; transports (stdio, Streamable HTTP) feed it bytes.
        .target(
            name: "MCP",
            dependencies: ["Control", "Varlink", "HTTPServer", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        // Answers with citations: the chat-completions client (streamed), the prompt, the
        // citation check and the extractive answer. Knows HTTP, not the engine or the socket.
        .target(name: "Answering", dependencies: ["HTTP"], swiftSettings: strictSettings),

        // Chunk and query embeddings from an OpenAI-compatible /v1/embeddings endpoint (hybrid search).
        .target(name: "Embeddings", dependencies: ["HTTP"], swiftSettings: strictSettings),

        // Executables.
        .executableTarget(
            name: "tributaryd",
            dependencies: [
                "Engine", "Control", "MCP", "Varlink", "Systemd", "Storage", "Search", "TributaryEvents", "Answering", "HTTPServer",
                "DaemonConfig", "Extraction", "Embeddings",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "tributaryctl",
            dependencies: [
                "Content", "Control", "MCP", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                "InputLimits",
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "StorageTestSupport", dependencies: ["Storage"], swiftSettings: strictSettings),
        // In-process engine tests: a clock moved by hand, Confluence in memory, a free-space probe.
        .target(name: "EngineTestSupport", dependencies: ["Engine", "Confluence", "Extraction", "ExtractionFormats", "Embeddings"], swiftSettings: strictSettings),
        // Blocking test clients on threads of their own, and work that holds the global pool.
        .target(name: "ConcurrencyTestSupport", swiftSettings: strictSettings),
        // The seeded generator behind generated test inputs.
        .target(name: "RandomTestSupport", swiftSettings: strictSettings),
        // Log records in memory, for tests of what is (and is not) logged.
        .target(
            name: "LogTestSupport", dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Starts and steers scripts/fake-confluence for the client, engine and daemon tests.
        .target(name: "FakeConfluenceSupport", dependencies: ["HTTP"], swiftSettings: strictSettings),
        .executableTarget(
            name: "StorageCrashWriter",
            dependencies: ["Storage", "StorageTestSupport"],
            swiftSettings: strictSettings
        ),
        // A private journald, a private PID-1 systemd and a notify socket for daemon tests.
        .target(name: "SystemdTestSupport", swiftSettings: strictSettings),
        .executableTarget(
            name: "SystemdProbe",
            dependencies: ["Systemd", "TributaryEvents", "Storage", "HTTP", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ConfluenceBench",
            dependencies: ["Confluence", "HTTP", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // libFuzzer target for the Varlink framing and every control method's parameters
        // (scripts/fuzz builds it with --sanitize fuzzer); the ordinary build replays a corpus.
        .executableTarget(
            name: "VarlinkFuzz",
            dependencies: ["Varlink", "Control", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "TributaryBench",
            dependencies: [
                "Storage", "Search", "Content", "CSQLite3", "Engine", "Embeddings",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Tests, one target per module.
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "StorageTestSupport", "RandomTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DaemonTests",
            dependencies: ["Engine", "Storage", "Search", "FakeConfluenceSupport", "SystemdTestSupport", "Control"],
            exclude: ["mcp_client_check.py"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DaemonConfigTests",
            dependencies: ["DaemonConfig", "Engine", "Extraction", "InputLimits"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"], swiftSettings: strictSettings),
        .testTarget(
            name: "AnsweringTests", dependencies: ["Answering", "HTTP", "FakeConfluenceSupport"], swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConfluenceTests",
            dependencies: ["Confluence", "HTTP", "FakeConfluenceSupport", "LogTestSupport", "RandomTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "ContentTests", dependencies: ["Content", "RandomTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "EmbeddingsTests", dependencies: ["Embeddings", "HTTP", "FakeConfluenceSupport"], swiftSettings: strictSettings
        ),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Storage", "Content", "RandomTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "EngineTests",
            dependencies: [
                "Engine", "EngineTestSupport", "ConcurrencyTestSupport", "Storage", "Search", "Confluence", "FakeConfluenceSupport",
                "InputLimits", "Extraction", "Embeddings", "HTTP", "SystemdTestSupport", "RandomTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: [
                "Systemd", "TributaryEvents", "SystemdTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VarlinkTests",
            dependencies: ["Varlink", "StreamingJSON", "TaskThreads", "LogTestSupport", "ConcurrencyTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HTTPServerTests",
            dependencies: ["HTTPServer", "MCP", "Control", "ConcurrencyTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ControlTests",
            dependencies: ["Control", "Varlink", "InputLimits", "LogTestSupport", .product(name: "Logging", package: "swift-log")],
            exclude: ["varlink_interop.py"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MCPTests",
            dependencies: ["MCP", "Control", "Varlink", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
    ]
)
