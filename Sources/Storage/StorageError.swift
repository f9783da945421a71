import CLMDB
import Glibc

/// Everything that can go wrong in the storage layer, each case naming the store's path
/// so a person reading the journal knows which files to look at.
///
/// `mapFull` only reaches callers when the map cannot grow any further; ordinary growth is
/// handled inside ``Store/write(_:)`` and is invisible.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The map reached ``StoreConfiguration/maximumMapSize`` and cannot grow.
    case mapFull(path: String, limit: Int)
    /// Every reader slot is taken, even after stale slots of dead processes were cleared.
    case readersFull(path: String, maxReaders: Int)
    /// The data file is damaged: LMDB found a page or structure it does not recognise.
    case corrupted(path: String, detail: String)
    /// The file is not an LMDB store of this version or architecture.
    case incompatible(path: String, detail: String)
    /// The process may not read or write the store's files.
    case permissionDenied(path: String, detail: String)
    /// The filesystem holding the store has no space (or quota) left; nothing was committed.
    case diskFull(path: String)
    /// Any other I/O failure reported by the operating system.
    case io(path: String, operation: String, errno: Int32)
    /// The same directory is already open in this process (LMDB forbids opening it twice).
    case alreadyOpen(path: String)
    /// A transaction was started while this thread already had one open.
    case nestedTransaction(path: String)
    /// A transaction object was used after its closure returned.
    case transactionClosed(path: String)
    /// A write transaction was used from a thread other than the one that began it.
    case wrongThread(path: String)
    /// More named tables were opened than ``StoreConfiguration/maxTables`` allows.
    case tooManyTables(path: String, limit: Int)
    /// A single transaction dirtied more pages than LMDB can hold; split the work.
    case transactionTooLarge(path: String)
    /// A key (or a DUPSORT value) is empty or longer than LMDB's limit.
    case invalidSize(path: String, table: String, detail: String)
    /// Stored bytes could not be decoded as the table's declared type.
    case decoding(table: String, detail: String)
    /// An LMDB failure with no more specific case.
    case lmdb(path: String, operation: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case let .mapFull(path, limit):
            return "storage at \(path) is full: the map reached its limit of \(limit) bytes; "
                + "raise the maximum map size or free disk space"
        case let .readersFull(path, maxReaders):
            return "storage at \(path) has no free reader slot (all \(maxReaders) in use); "
                + "too many concurrent readers"
        case let .corrupted(path, detail):
            return "storage at \(path) is corrupted (\(detail)); restore a backup or move the directory "
                + "aside so it can be rebuilt from Confluence"
        case let .incompatible(path, detail):
            return "storage at \(path) is not a compatible LMDB store (\(detail))"
        case let .permissionDenied(path, detail):
            return "permission denied for storage at \(path) (\(detail)); check the owner and mode of the directory"
        case let .diskFull(path):
            return "no space left on the device holding \(path); nothing was committed, free space and retry"
        case let .io(path, operation, code):
            return "I/O error during \(operation) on storage at \(path): \(String(cString: strerror(code)))"
        case let .alreadyOpen(path):
            return "storage at \(path) is already open in this process"
        case let .nestedTransaction(path):
            return "a transaction on \(path) was started inside another one on the same thread"
        case let .transactionClosed(path):
            return "a transaction on \(path) was used after it ended"
        case let .wrongThread(path):
            return "a write transaction on \(path) was used from another thread"
        case let .tooManyTables(path, limit):
            return "storage at \(path) cannot open more than \(limit) named tables"
        case let .transactionTooLarge(path):
            return "a transaction on \(path) changed too many pages at once; commit in smaller batches"
        case let .invalidSize(path, table, detail):
            return "invalid key or value size in table '\(table)' of \(path): \(detail)"
        case let .decoding(table, detail):
            return "cannot decode a record of table '\(table)': \(detail)"
        case let .lmdb(path, operation, code, message):
            return "LMDB error \(code) during \(operation) on \(path): \(message)"
        }
    }

    /// Maps an LMDB or errno return code to the most specific case.
    static func from(code: Int32, path: String, operation: String, table: String = "") -> StorageError {
        switch code {
        case MDB_MAP_FULL:
            return .mapFull(path: path, limit: 0)
        case MDB_READERS_FULL:
            return .readersFull(path: path, maxReaders: 0)
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_BAD_DBI:
            return .corrupted(path: path, detail: message(code))
        case MDB_INVALID, MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE:
            return .incompatible(path: path, detail: message(code))
        case MDB_DBS_FULL:
            return .tooManyTables(path: path, limit: 0)
        case MDB_TXN_FULL:
            return .transactionTooLarge(path: path)
        case MDB_BAD_VALSIZE:
            return .invalidSize(path: path, table: table, detail: "empty, or longer than the key limit")
        case EACCES, EPERM, EROFS:
            return .permissionDenied(path: path, detail: message(code))
        case ENOSPC, EDQUOT:
            return .diskFull(path: path)
        case EIO, ENOMEM, EFBIG:
            return .io(path: path, operation: operation, errno: code)
        default:
            return .lmdb(path: path, operation: operation, code: code, message: message(code))
        }
    }

    private static func message(_ code: Int32) -> String {
        String(cString: mdb_strerror(code))
    }
}
