import Engine
import Foundation
import InputLimits

/// `tributaryd.conf`: daemon-wide settings. Every key is optional.
public struct DaemonConfiguration: Sendable, Equatable {
    public var socketPath: String = "/run/tributary/control.sock"
    public var stateDirectory: String?
    public var maxConcurrentDatastores: Int = 4
    /// Requests per second per Confluence site unless a datastore sets its own.
    public var defaultRateLimit: Double = 10
    public var millicreditsPerThousandTokens: Int64 = 1_000
    /// Credits granted when the store is created (turns enforcement on); nil: meter only.
    public var initialMillicredits: Int64?
    public var autoTopOff: CreditPolicy.AutoTopOff?
    /// auto | journal | stderr
    public var log: String = "auto"
    /// Where `datastores.d` lives (beside the config file).
    public var datastoresDirectory: String?
    /// The chat model answers use (`llm_*` keys); nil: answers are extractive.
    public var model: ModelConfiguration?
    /// The embedding endpoint of hybrid search (`embedding_*` keys); nil: search is lexical.
    public var embedding: EmbeddingConfiguration?
    /// `ADDRESS:PORT` of the MCP Streamable HTTP endpoint (`mcp_listen`); nil: not served.
    /// Checked by the daemon, which knows what it can bind.
    public var mcpListen: String?
    /// Origins (`https://host[:port]`) whose browser requests the MCP endpoint accepts.
    public var mcpAllowedOrigins: [String] = []
    /// The systemd credential (`LoadCredentialEncrypted=NAME:…`) holding the 32-byte key that
    /// seals stored API tokens (`secrets_key_credential`); nil: tokens are stored as they are.
    public var secretsKeyCredential: String?

    public init() {}

    /// Reads the file at `path`; a missing default file is not an error, a missing explicit one is.
    public static func load(path: String) throws(ConfigError) -> DaemonConfiguration {
        let file = try ConfigFile.load(path: path)
        var configuration = DaemonConfiguration()
        var reader = file.reader()
        if let socket = reader.string("socket") { configuration.socketPath = socket }
        configuration.stateDirectory = reader.string("state_dir")
        configuration.maxConcurrentDatastores = try reader.int("max_concurrent_datastores", range: Limits.concurrentDatastores.bounds) ?? 4
        configuration.defaultRateLimit = try reader.double("default_rate_limit", range: Limits.rateLimit.bounds) ?? 10
        if let perThousand = try reader.double("credits_per_1000_tokens", range: Limits.millicreditsPerThousandTokens.inCredits) {
            configuration.millicreditsPerThousandTokens = Int64((perThousand * 1_000).rounded())
        }
        if let initial = try reader.double("initial_credits", range: Limits.policyMillicredits.inCredits) {
            configuration.initialMillicredits = Int64((initial * 1_000).rounded())
        }
        let amount = try reader.double("auto_top_off_amount", range: Limits.policyMillicredits.inCredits)
        let threshold = try reader.double("auto_top_off_threshold", range: Limits.policyMillicredits.inCredits)
        let cap = try reader.double("auto_top_off_monthly_cap", range: Limits.policyMillicredits.inCredits)
        if let amount {
            configuration.autoTopOff = CreditPolicy.AutoTopOff(
                amount: Int64((amount * 1_000).rounded()), threshold: Int64(((threshold ?? 0) * 1_000).rounded()),
                monthlyCap: Int64((min(cap ?? amount * 10, Limits.policyMillicredits.inCredits.upperBound) * 1_000).rounded()))
        } else if threshold != nil || cap != nil {
            throw reader.error(threshold != nil ? "auto_top_off_threshold" : "auto_top_off_monthly_cap",
                               "needs auto_top_off_amount as well")
        }
        if let log = reader.string("log") {
            guard ["auto", "journal", "stderr"].contains(log) else {
                throw reader.error("log", "expected auto, journal or stderr")
            }
            configuration.log = log
        }
        configuration.model = try ModelConfiguration.read(&reader)
        configuration.embedding = try EmbeddingConfiguration.read(&reader)
        configuration.mcpListen = reader.string("mcp_listen")
        if let origins = reader.list("mcp_allowed_origins") {
            if let bad = origins.first(where: { !($0.hasPrefix("http://") || $0.hasPrefix("https://")) || $0.contains(" ") }) {
                throw reader.error("mcp_allowed_origins", "expected origins such as https://chat.example.com, found “\(ConfigFile.shorten(bad))”")
            }
            configuration.mcpAllowedOrigins = origins
        }
        if let name = reader.string("secrets_key_credential") {
            guard CredentialsDirectory.isValidName(name) else {
                throw reader.error("secrets_key_credential", "expected a credential name (LoadCredentialEncrypted=NAME:…), without '/'")
            }
            configuration.secretsKeyCredential = name
        }
        try reader.rejectUnknownKeys()
        configuration.datastoresDirectory = ((path as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("datastores.d")
        return configuration
    }
}
