/// Batches of results from a paginated endpoint, fetched one request at a time as the
/// sequence is iterated, so memory stays flat however large the space.
///
/// Iterating twice starts over from the first page.
public struct ConfluencePager<Item: Sendable>: AsyncSequence, Sendable {
    public typealias Element = [Item]
    public typealias Failure = ConfluenceError

    /// Where the next request goes and what the previous one returned.
    struct Cursor: Sendable {
        var url: String
        /// Data Center offset paging: the `start` this request asks for.
        var start: Int?
        /// Ids of the previous batch, to drop records a buggy server repeats.
        var previousIds: Set<String> = []
    }

    typealias Fetch = @Sendable (Cursor) async throws(ConfluenceError) -> (items: [Item], next: Cursor?)

    let first: Cursor
    let fetch: Fetch

    init(first: Cursor, fetch: @escaping Fetch) {
        self.first = first
        self.fetch = fetch
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(cursor: first, fetch: fetch)
    }

    /// Pulls one batch per `next()`.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        var cursor: Cursor?
        let fetch: Fetch

        public mutating func next() async throws(ConfluenceError) -> [Item]? {
            guard let current = cursor else { return nil }
            cursor = nil  // a failed fetch ends the sequence
            let (items, next) = try await fetch(current)
            cursor = next
            return items
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(ConfluenceError) -> [Item]? {
            try await next()
        }
    }

    /// Every item of every batch, in order. Only for small listings: it holds them all.
    public func collect() async throws(ConfluenceError) -> [Item] {
        var all: [Item] = []
        var iterator = makeAsyncIterator()
        while let batch = try await iterator.next() { all += batch }
        return all
    }
}

/// Batches of page metadata (or bodies, when requested).
public typealias PageBatches = ConfluencePager<Page>

/// Batches of spaces, from ``ConfluenceClient/spaces(includeArchived:)``.
public typealias SpaceBatches = ConfluencePager<Space>

/// Batches of labels, from ``ConfluenceClient/contentLabels(in:)``.
public typealias LabelBatches = ConfluencePager<Label>

/// Batches of content ids with their labels, from ``ConfluenceClient/labelledContent(cql:)``.
public typealias LabelledContentBatches = ConfluencePager<LabelledContent>
