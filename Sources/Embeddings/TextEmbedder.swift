/// Turns texts into vectors with one model: what the engine's embedding stage and hybrid
/// queries call. ``EndpointEmbedder`` is the HTTP one; tests inject deterministic ones.
public protocol TextEmbedder: Sendable {
    /// The model's name: recorded with the vectors, so a change of model re-embeds.
    var model: String { get }
    /// One vector per text, in order, all of one dimension.
    func embed(_ texts: [String]) async throws(EmbeddingError) -> EmbeddingBatch
}

/// A ``TextEmbedder`` over an OpenAI-compatible endpoint. The API key is read at each call
/// (`apiKey`), so a rotated key file needs no restart; it is never logged or shown.
public struct EndpointEmbedder: TextEmbedder {
    public let baseURL: String
    public let model: String
    public let timeout: Duration
    private let apiKey: @Sendable () throws -> String?
    private let client: EmbeddingClient

    public init(
        baseURL: String, model: String, timeout: Duration = .seconds(60), client: EmbeddingClient = EmbeddingClient(),
        apiKey: @escaping @Sendable () throws -> String? = { nil }
    ) {
        self.baseURL = baseURL
        self.model = model
        self.timeout = timeout
        self.client = client
        self.apiKey = apiKey
    }

    public func embed(_ texts: [String]) async throws(EmbeddingError) -> EmbeddingBatch {
        let key: String?
        do {
            key = try apiKey()
        } catch {
            throw .apiKeyUnreadable
        }
        return try await client.embed(
            texts, endpoint: EmbeddingEndpoint(baseURL: baseURL, model: model, apiKey: key, timeout: timeout))
    }
}
