import Confluence
import Search
import Storage

/// Why a sync or processing step stopped, sorted by what the engine does next.
enum SyncFailure: Error, Sendable {
    /// Nothing will work until a person fixes something: the datastore fails with this reason.
    case permanent(FailureReason)
    /// Worth retrying later (network, 5xx, still throttled); when retries run out, unreachable.
    case transient(String)
    /// Worth retrying later, but when retries run out the datastore fails with this reason
    /// (a response cut short: a network blip, or a server that keeps answering half).
    case retryable(FailureReason)
    /// The store failed. A full disk (or map) pauses the datastore until space returns; other
    /// storage errors are retried like transient ones.
    case storage(StorageError)
    /// The datastore was deleted or paused while the step ran.
    case abandoned

    static func configuration(_ message: String) -> SyncFailure {
        .permanent(FailureReason(kind: .configuration, message: message))
    }

    init(_ error: ConfluenceError) {
        switch error.kind {
        case .badCredentials:
            self = .permanent(FailureReason(kind: .authentication, message: error.message))
        case .insufficientPermission:
            self = .permanent(FailureReason(kind: .permission, message: error.message))
        case .spaceNotFound:
            self = .permanent(FailureReason(kind: .spaceNotFound, message: error.message))
        case .invalidURL, .insecureURL, .notConfluence, .tls:
            self = .permanent(FailureReason(kind: .configuration, message: error.message))
        case .redirected:
            self = .permanent(FailureReason(kind: .redirected, message: error.message))
        case .unexpectedResponse, .responseTooLarge:
            // The server answers, but not with the API (HTML, invalid JSON, too large): retrying
            // will not help until a person looks.
            self = .permanent(FailureReason(kind: .badResponse, message: error.message))
        case .truncatedResponse:
            // Cut short: often the network, so retried; a server that keeps doing it is a bad response.
            self = .retryable(FailureReason(kind: .badResponse, message: error.message))
        case .cancelled:
            self = .abandoned
        default:
            self = .transient(error.message)
        }
    }
}

extension StorageError {
    /// Whether the write failed for want of space: the filesystem (ENOSPC, EDQUOT) or the map at
    /// its configured maximum.
    var isOutOfSpace: Bool {
        switch self {
        case .diskFull, .mapFull: true
        default: false
        }
    }
}

/// Runs storage work, keeping storage errors typed (``SyncFailure/storage(_:)``), passing
/// ``SyncFailure``s through, and treating a refused lifecycle event as abandoned work.
func storage<T>(_ body: () throws -> T) throws(SyncFailure) -> T {
    do {
        return try body()
    } catch let failure as SyncFailure {
        throw failure
    } catch let error as StorageError {
        throw .storage(error)
    } catch let error as SearchError {
        if case .storage(let underlying) = error { throw .storage(underlying) }
        throw .transient("indexing: \(error)")
    } catch is LifecycleRejection {
        throw .abandoned
    } catch {
        throw .transient("\(error)")
    }
}
