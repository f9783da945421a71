import Foundation

/// The embedding endpoint hybrid search uses, from `tributaryd.conf` (`embedding_*` keys).
/// Without `embedding_url` nothing is embedded and search is lexical.
public struct EmbeddingConfiguration: Sendable, Equatable {
    /// Base URL of an OpenAI-compatible server (`http://localhost:8089`; `…/v1` works too).
    public var url: String
    public var model: String
    /// Where the API key comes from; never the key itself.
    public var key: ModelConfiguration.KeySource

    public init(url: String, model: String, key: ModelConfiguration.KeySource = .none) {
        self.url = url
        self.model = model
        self.key = key
    }

    /// Reads the `embedding_*` keys; nil when `embedding_url` is not set (then no other
    /// `embedding_*` key may be).
    static func read(_ reader: inout ConfigFile.Reader) throws(ConfigError) -> EmbeddingConfiguration? {
        let url = reader.string("embedding_url")
        let model = reader.string("embedding_model")
        let keyFile = reader.string("embedding_api_key_file")
        let credential = reader.string("embedding_api_key_credential")
        guard let url else {
            for key in ["embedding_model", "embedding_api_key_file", "embedding_api_key_credential"] where reader.line(of: key) != nil {
                throw reader.error(key, "needs embedding_url (the embedding server's base URL, e.g. http://localhost:8089)")
            }
            return nil
        }
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8, !url.contains(" "),
              !Self.hasUserInfo(url) else {
            throw reader.error("embedding_url", "expected an http:// or https:// base URL without user:password@, e.g. http://localhost:8089")
        }
        guard let model, !model.isEmpty else {
            throw reader.error("embedding_url", "needs embedding_model (the model's name, e.g. all-MiniLM-L6-v2 or nomic-embed-text)")
        }
        var key = ModelConfiguration.KeySource.none
        switch (keyFile, credential) {
        case (.some, .some):
            throw reader.error("embedding_api_key_credential", "set embedding_api_key_file or embedding_api_key_credential, not both")
        case (.some(let path), nil):
            guard path.hasPrefix("/") else { throw reader.error("embedding_api_key_file", "expected an absolute path") }
            key = .file(path: path)
        case (nil, .some(let name)):
            guard CredentialsDirectory.isValidName(name) else {
                throw reader.error("embedding_api_key_credential", "expected a credential name (LoadCredential=NAME:…), without '/'")
            }
            key = .credential(name: name)
        case (nil, nil):
            break
        }
        return EmbeddingConfiguration(url: url, model: model, key: key)
    }

    /// Whether the URL's authority carries `user:password@` (keys go in a file or credential).
    private static func hasUserInfo(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.contains("@")
    }
}
