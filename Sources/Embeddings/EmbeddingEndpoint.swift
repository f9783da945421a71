import HTTP

/// Where and how to reach an OpenAI-compatible embeddings endpoint (Ollama, llama.cpp's
/// server, text-embeddings-inference, the project's `scripts/embedding_server`, a hosted API).
public struct EmbeddingEndpoint: Sendable, Equatable {
    /// The server's base URL (`http://localhost:8089` or `http://localhost:11434/v1`).
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer …` when set. Never shown in errors or descriptions.
    public var apiKey: String?
    /// The longest one batch may take.
    public var timeout: Duration

    public init(baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = .seconds(60)) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
    }

    /// `{base}/v1/embeddings`; a base that already ends in `/v1` is not given a second one.
    public var embeddingsURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v1") ? base + "/embeddings" : base + "/v1/embeddings"
    }

    /// The base URL as it may be shown or logged: without userinfo, query or fragment.
    public var displayURL: String { URLRedaction.redact(baseURL) }
}

extension EmbeddingEndpoint: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The model and where it is, never the key.
    public var description: String {
        "\(model) at \(displayURL)" + (apiKey == nil ? "" : " (with an API key)")
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["model": model, "baseURL": displayURL, "hasAPIKey": apiKey != nil])
    }
}
