/// How far a datastore's chunk embeddings are (`status` → `embeddings`).
public struct EmbeddingProgress: Sendable, Equatable {
    /// The configured embedding model.
    public var model: String
    /// The vectors' dimension, once one is stored.
    public var dimensions: Int?
    /// Chunks with a vector of ``model``.
    public var embedded: Int
    /// Indexed chunks still without one.
    public var pending: Int
    /// Why embedding waits (the endpoint's failure, credits), when it does.
    public var reason: String?

    public init(model: String, dimensions: Int?, embedded: Int, pending: Int, reason: String?) {
        self.model = model
        self.dimensions = dimensions
        self.embedded = embedded
        self.pending = pending
        self.reason = reason
    }
}
