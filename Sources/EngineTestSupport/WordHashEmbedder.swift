import Embeddings
import Synchronization

/// A deterministic ``TextEmbedder`` for tests: a text's vector counts its words, each word
/// hashed (FNV-1a) to one of `dimensions` axes, after mapping `synonyms` (so "automobile" can
/// mean "car": a meaning the words alone do not share). It can be told to fail, and counts
/// what it was asked.
public final class WordHashEmbedder: TextEmbedder {
    public let model: String
    public let dimensions: Int
    private let synonyms: [String: String]
    private let state = Mutex(State())

    private struct State {
        var failure: EmbeddingError?
        var hangs = false
        var calls = 0
        var texts = 0
    }

    public init(model: String = "word-hash", dimensions: Int = 64, synonyms: [String: String] = [:]) {
        self.model = model
        self.dimensions = dimensions
        self.synonyms = synonyms
    }

    /// Every call from now on throws `error` (nil: calls succeed again).
    public func fail(with error: EmbeddingError?) {
        state.withLock { $0.failure = error }
    }

    /// Every call from now on stays silent until cancelled (a stuck endpoint), or answers again.
    public func hang(_ hangs: Bool) {
        state.withLock { $0.hangs = hangs }
    }

    /// Calls made (failed ones too) and texts embedded.
    public var calls: Int { state.withLock { $0.calls } }
    public var textsEmbedded: Int { state.withLock { $0.texts } }

    public func embed(_ texts: [String]) async throws(EmbeddingError) -> EmbeddingBatch {
        let failure = state.withLock { state -> EmbeddingError? in
            state.calls += 1
            if state.failure == nil { state.texts += texts.count }
            return state.failure
        }
        if let failure { throw failure }
        if state.withLock({ $0.hangs }) {
            // Real time, bounded: ends at once when the caller gives up (cancels).
            try? await Task.sleep(for: .seconds(60))
            throw .cancelled
        }
        var tokens = 0
        let vectors = texts.map { text in
            var vector = [Float](repeating: 0, count: dimensions)
            for word in Self.words(text) {
                tokens += 1
                vector[Int(Self.hash(synonyms[word] ?? word) % UInt64(dimensions))] += 1
            }
            return vector
        }
        return EmbeddingBatch(vectors: vectors, tokens: tokens, model: model)
    }

    /// The query's vector, as ``embed(_:)`` makes it.
    public func vector(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimensions)
        for word in Self.words(text) { vector[Int(Self.hash(synonyms[word] ?? word) % UInt64(dimensions))] += 1 }
        return vector
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter }.map(String.init)
    }

    static func hash(_ word: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
