import Confluence
import Search
import Storage

/// A datastore as the control surface shows it: its record plus the page counts.
public struct DatastoreSnapshot: Sendable, Equatable {
    public var record: DatastoreRecord
    /// The page counts, kept in step with the manifest.
    public var counts: PageCounts
    public var hasStoredSecret: Bool
    /// What the datastore waits for right now (throttled, retrying, a slow response), if anything.
    public var waiting: DatastoreWait? = nil
    /// Attachment counts; nil when the datastore indexes none and holds none.
    public var attachments: AttachmentCounts? = nil
    /// Chunk embeddings, when the daemon has an embedding endpoint and the datastore has them on.
    public var embeddings: EmbeddingProgress? = nil

    public var name: String { record.configuration.name }
    public var pending: Int { counts.pending }
    public var indexed: Int { counts.indexed }
    public var skipped: Int { counts.skipped }
    public var failed: Int { counts.failed }
    /// Pages known in the datastore's scope or skipped from it (deleted ones excluded).
    public var discovered: Int { counts.discovered }
    /// Whether any page content can be found by search.
    public var searchable: Bool { counts.searchablePages > 0 }
    public var skippedByReason: [String: Int] { counts.skippedByReason }
    public var failedByReason: [String: Int] { counts.failedByReason }
    /// Unrendered macros by name: how many indexed pages carry each.
    public var unrenderedMacros: [String: Int] { counts.unrenderedMacros }

    /// Progress of the current phase: done, total (nil while listing), pages/s, ETA seconds.
    public func progress(now: Int64) -> (done: Int, total: Int?, pagesPerSecond: Double, etaSeconds: Double?) {
        let elapsed = max(Double(now - record.phaseStartedAt) / 1_000, 0.001)
        let rate = Double(record.phaseDone) / elapsed
        switch record.state {
        case .processing:
            let total = max(record.phaseTotal, record.phaseDone + pending)
            let remaining = Double(total - record.phaseDone)
            return (record.phaseDone, total, rate, rate > 0 ? remaining / rate : nil)
        case .syncingMetadata:
            return (record.phaseDone, nil, rate, nil)
        default:
            return (record.phaseDone, record.phaseTotal, rate, nil)
        }
    }
}

/// A search result with the citation URL built from the current manifest (so moved or renamed
/// pages cite their current address without re-indexing) and the page's metadata from it.
public struct EngineSearchHit: Sendable, Equatable {
    /// The datastore the passage comes from.
    public var datastore: String
    public var result: SearchResult
    /// The page URL, with `#anchor` when the passage has one.
    public var url: String
    /// The page's space key, labels (empty where none are known), the time of the version
    /// the manifest last saw (ms since 1970) and the version whose content is indexed.
    public var space: String?
    public var labels: [String]
    public var lastModified: Int64?
    public var version: Int?
    /// "blogpost" for a passage of a blog post; nil for a page.
    public var contentType: String? = nil
    /// For a passage of an attachment: the attachment and its parent page (the fields above
    /// describe that page; ``url`` is the page's URL).
    public var attachment: AttachmentHit? = nil

    /// The passage: where it is on its page, then its Markdown (see ``SearchResult/passage``).
    public var passage: String { result.passage }
}

/// A page read from the index: its current metadata from the manifest, its indexed text.
public struct EnginePage: Sendable, Equatable {
    public var datastore: String
    public var pageId: String
    public var title: String
    /// The page's web URL (empty when the site or its path is not known).
    public var url: String
    public var space: String
    public var labels: [String]
    /// The version whose content ``text`` is.
    public var version: Int
    /// When the last seen version was made (ms since 1970), when Confluence said.
    public var lastModified: Int64?
    /// The whole Markdown and its heading outline.
    public var text: PageText
}

/// Which pages a search may return; empty lists and nil dates filter nothing.
public struct SearchFilters: Sendable, Equatable {
    /// Space keys, any of them (compared without regard to case).
    public var spaces: [String]
    /// Labels the page must all carry (compared without regard to case).
    public var labels: [String]
    /// Only pages whose last modification (ms since 1970) is at or after this; pages of
    /// unknown date are left out.
    public var modifiedAfter: Int64?

    public init(spaces: [String] = [], labels: [String] = [], modifiedAfter: Int64? = nil) {
        self.spaces = spaces
        self.labels = labels
        self.modifiedAfter = modifiedAfter
    }

    /// True when nothing is filtered.
    public var isEmpty: Bool { spaces.isEmpty && labels.isEmpty && modifiedAfter == nil }

    /// Whether a page as the manifest knows it passes.
    func accepts(_ entry: ManifestEntry) -> Bool {
        if !spaces.isEmpty {
            let space = entry.spaceKey.lowercased()
            guard spaces.contains(where: { $0.lowercased() == space }) else { return false }
        }
        if !labels.isEmpty {
            let carried = Set((entry.labels ?? []).map { $0.lowercased() })
            guard labels.allSatisfy({ carried.contains($0.lowercased()) }) else { return false }
        }
        if let modifiedAfter {
            guard let modified = entry.lastModified, modified >= modifiedAfter else { return false }
        }
        return true
    }
}

/// Why a page is or is not searchable.
public struct PageReport: Sendable, Equatable {
    public var entry: ManifestEntry
    public var url: String?
    /// The page's attachments as last reconciled.
    public var attachments: [AttachmentEntry] = []
}

/// A datastore's attachments by outcome.
public struct AttachmentCounts: Sendable, Equatable {
    public var indexed: Int
    /// Recorded but not indexed, by reason code.
    public var skippedByReason: [String: Int]
    public var failed: Int
    /// Of the above, those whose page this cycle's attachment sweep has not reached yet (0 at rest).
    public var pending: Int = 0
}

/// The attachment a search passage comes from, with its parent page.
public struct AttachmentHit: Sendable, Equatable {
    public var id: String
    /// The file name.
    public var title: String
    /// The download URL, with `#page=N` for a passage on PDF page N.
    public var url: String
    public var mediaType: String?
    public var pageNumber: Int?
    /// The parent page.
    public var pageId: String
    public var pageTitle: String
}

/// Errors of the engine's control surface.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchDatastore(String)
    case datastoreExists(String)
    case invalid(field: String, message: String)
    case noSuchPage(datastore: String, pageId: String)
    /// The store failed (a full disk among other things), typed.
    case storage(StorageError)
    /// The search index failed for a reason other than its storage.
    case index(SearchError)

    public var description: String {
        switch self {
        case .noSuchDatastore(let name): "no datastore named “\(name)”"
        case .datastoreExists(let name): "a datastore named “\(name)” already exists"
        case .invalid(let field, let message): "\(field): \(message)"
        case .noSuchPage(let datastore, let pageId): "datastore “\(datastore)” has never seen page \(pageId)"
        case .storage(let error): "storage: \(error)"
        case .index(let error): "index: \(error)"
        }
    }
}

extension EngineError {
    /// Sorts an error thrown by storage work: storage and index errors keep their type, a
    /// refused lifecycle event becomes `invalid(state)`.
    init(_ error: any Error) {
        switch error {
        case let error as EngineError:
            self = error
        case let error as StorageError:
            self = .storage(error)
        case let error as SearchError:
            if case .storage(let underlying) = error { self = .storage(underlying) } else { self = .index(error) }
        case let rejection as LifecycleRejection:
            self = .invalid(field: "state", message: rejection.description)
        case let error as SecretSealingError:
            self = .invalid(field: "token", message: error.description)
        default:
            // Storage closures throw only the errors above; anything else is a programming error.
            self = .storage(.lmdb(path: "", operation: "engine", code: -1, message: String(describing: type(of: error))))
        }
    }
}

/// Runs storage work for the control surface with typed errors (see ``EngineError/init(_:)``).
func engineStorage<T>(_ body: () throws -> T) throws(EngineError) -> T {
    do {
        return try body()
    } catch {
        throw EngineError(error)
    }
}
