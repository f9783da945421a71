import InputLimits

/// The chat model `ask` uses, from `tributaryd.conf` (`llm_*` keys). Without `llm_url` there
/// is no model and answers are extractive.
public struct ModelConfiguration: Sendable, Equatable {
    /// Where the API key comes from; never the key itself.
    public enum KeySource: Sendable, Equatable {
        case none
        /// `llm_api_key_file`: read at each answer (a rotated key needs no restart).
        case file(path: String)
        /// `llm_api_key_credential`: a systemd credential, `$CREDENTIALS_DIRECTORY/NAME`.
        case credential(name: String)
    }

    /// Base URL ending in `/v1`, e.g. `http://localhost:11434/v1`.
    public var url: String
    public var model: String
    public var key: KeySource
    /// The longest an answer may take, in seconds.
    public var timeoutSeconds: Int
    /// Millicredits per 1,000 model tokens (prompt and completion).
    public var millicreditsPerThousandTokens: Int64

    public static let defaultTimeoutSeconds = 120
    public static let timeoutRange = 1...3_600
    /// 0.1 credit per 1,000 model tokens.
    public static let defaultMillicreditsPerThousandTokens: Int64 = 100
    /// The same range as the indexing price (`Limits.millicreditsPerThousandTokens`), in credits.
    public static let maxPricePerThousandTokens = Limits.millicreditsPerThousandTokens.inCredits.upperBound

    public init(url: String, model: String, key: KeySource = .none, timeoutSeconds: Int = defaultTimeoutSeconds,
                millicreditsPerThousandTokens: Int64 = defaultMillicreditsPerThousandTokens) {
        self.url = url
        self.model = model
        self.key = key
        self.timeoutSeconds = timeoutSeconds
        self.millicreditsPerThousandTokens = millicreditsPerThousandTokens
    }

    /// Reads the `llm_*` keys; nil when `llm_url` is not set (then no other `llm_*` key may be).
    static func read(_ reader: inout ConfigFile.Reader) throws(ConfigError) -> ModelConfiguration? {
        let url = reader.string("llm_url")
        let model = reader.string("llm_model")
        let keyFile = reader.string("llm_api_key_file")
        let credential = reader.string("llm_api_key_credential")
        let timeout = try reader.duration("llm_timeout", range: timeoutRange)
        let price = try reader.double("llm_price", range: 0...maxPricePerThousandTokens)
        guard let url else {
            for key in ["llm_model", "llm_api_key_file", "llm_api_key_credential", "llm_timeout", "llm_price"]
            where reader.line(of: key) != nil {
                throw reader.error(key, "needs llm_url (the model's base URL, e.g. http://localhost:11434/v1)")
            }
            return nil
        }
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8, !url.contains(" ") else {
            throw reader.error("llm_url", "expected an http:// or https:// base URL ending in /v1, e.g. http://localhost:11434/v1")
        }
        guard let model, !model.isEmpty else {
            throw reader.error("llm_url", "needs llm_model (the model's name, e.g. llama3.2 or qwen2.5:7b)")
        }
        var key = KeySource.none
        switch (keyFile, credential) {
        case (.some, .some):
            throw reader.error("llm_api_key_credential", "set llm_api_key_file or llm_api_key_credential, not both")
        case (.some(let path), nil):
            guard path.hasPrefix("/") else { throw reader.error("llm_api_key_file", "expected an absolute path") }
            key = .file(path: path)
        case (nil, .some(let name)):
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw reader.error("llm_api_key_credential", "expected a credential name (LoadCredential=NAME:…), without '/'")
            }
            key = .credential(name: name)
        case (nil, nil):
            break
        }
        return ModelConfiguration(
            url: url, model: model, key: key, timeoutSeconds: timeout ?? defaultTimeoutSeconds,
            millicreditsPerThousandTokens: price.map { Int64(($0 * 1_000).rounded()) } ?? defaultMillicreditsPerThousandTokens)
    }
}
