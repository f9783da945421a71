// A child process for the storage crash test: it commits transactions of the
// CrashWorkload in a loop and prints each committed number, until it is killed.
// With `--deferred` (last argument) it commits without syncing and flushes every fourth
// commit, as the sync engine's group commits do.
import Foundation
import Storage
import StorageTestSupport

var arguments = CommandLine.arguments
let deferred = arguments.last == "--deferred"
if deferred { arguments.removeLast() }
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: StorageCrashWriter DIRECTORY [MAX_TRANSACTIONS] [--deferred]\n".utf8))
    exit(64)
}
let limit = arguments.count >= 3 ? UInt64(arguments[2]) ?? .max : .max

do {
    // A small map so that growth happens while the test is killing us.
    let store = try Store(configuration: StoreConfiguration(directory: arguments[1], initialMapSize: 256 * 1024))
    let tables = try CrashWorkload.Tables(store)
    var committed: UInt64 = 0
    while committed < limit {
        committed = try CrashWorkload.commitNext(store, tables, durability: deferred ? .deferred : .durable)
        if deferred, committed % 4 == 0 { try store.flush() }
        // One write(2) per line, unbuffered: the parent must see every acknowledged commit.
        FileHandle.standardOutput.write(Data("\(committed)\n".utf8))
    }
} catch {
    FileHandle.standardError.write(Data("StorageCrashWriter: \(error)\n".utf8))
    exit(1)
}
