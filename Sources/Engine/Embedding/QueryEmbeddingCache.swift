import Search
import Synchronization

/// Query embeddings by model and query text, least recently used dropped first: a repeated
/// query (an assistant asking again, a person paging) costs no request to the endpoint.
final class QueryEmbeddingCache: Sendable {
    private struct Key: Hashable {
        var model: String
        var query: String
    }

    private struct State {
        var entries: [Key: (vector: QuantizedVector, used: UInt64)] = [:]
        var tick: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The cached vector, marked as just used; nil when absent.
    func vector(model: String, query: String) -> QuantizedVector? {
        state.withLock { state in
            let key = Key(model: model, query: query)
            guard let entry = state.entries[key] else { return nil }
            state.tick += 1
            state.entries[key] = (entry.vector, state.tick)
            return entry.vector
        }
    }

    /// Keeps `vector`, dropping the least recently used entry when full.
    func insert(_ vector: QuantizedVector, model: String, query: String) {
        state.withLock { state in
            let key = Key(model: model, query: query)
            if state.entries[key] == nil, state.entries.count >= capacity,
               let oldest = state.entries.min(by: { $0.value.used < $1.value.used })?.key {
                state.entries[oldest] = nil
            }
            state.tick += 1
            state.entries[key] = (vector, state.tick)
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
