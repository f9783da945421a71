import Storage

/// Everything the search layer can fail with.
public enum SearchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A storage call failed; the caller's transaction must be abandoned.
    case storage(StorageError)
    /// libstemmer has no stemmer for the algorithm (or could not allocate one).
    case stemmerUnavailable(algorithm: String)
    /// A page id too long to be part of an LMDB key.
    case pageIDTooLong(pageID: String, limit: Int)
    /// The datastore allocated every chunk id the posting format can hold (2^40).
    case chunkIDsExhausted(datastore: UInt64)
    /// Stored index records contradict each other or cannot be decoded.
    case corruptedIndex(datastore: UInt64, detail: String)

    public var description: String {
        switch self {
        case .storage(let error):
            return "search index storage failed: \(error)"
        case .stemmerUnavailable(let algorithm):
            return "libstemmer has no '\(algorithm)' stemmer (is libstemmer installed?)"
        case let .pageIDTooLong(pageID, limit):
            return "page id '\(pageID.prefix(40))…' is longer than \(limit) bytes and cannot be indexed"
        case .chunkIDsExhausted(let datastore):
            return "datastore \(datastore) has used every chunk id; rebuild its index"
        case let .corruptedIndex(datastore, detail):
            return "the search index of datastore \(datastore) is inconsistent (\(detail)); rebuild it"
        }
    }
}

/// Runs storage calls (whose scans throw untyped errors) and narrows failures to ``SearchError``.
@inline(__always) @discardableResult
func storageCall<T>(_ body: () throws -> T) throws(SearchError) -> T {
    do {
        return try body()
    } catch let error as StorageError {
        throw .storage(error)
    } catch let error as SearchError {
        throw error
    } catch {
        throw .storage(.lmdb(path: "", operation: "search", code: -1, message: "\(error)"))
    }
}
