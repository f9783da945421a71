import CLMDB
import Foundation
import Glibc
import Synchronization

/// How a ``Store`` is opened.
public struct StoreConfiguration: Sendable {
    /// The directory holding `data.mdb` and `lock.mdb`; created (mode 0700) if missing.
    public var directory: String
    /// The initial map size in bytes. The file is sparse, so a generous size costs nothing.
    public var initialMapSize: Int
    /// The map never grows past this; a write that needs more fails with ``StorageError/mapFull(path:limit:)``.
    public var maximumMapSize: Int
    /// How many named tables may be opened (the daemon opens about 30; LMDB scans this many slots
    /// only when a table is opened).
    public var maxTables: Int
    /// How many read transactions may be open at once across all processes.
    public var maxReaders: Int

    public init(
        directory: String,
        initialMapSize: Int = 1 << 30,
        maximumMapSize: Int = 1 << 40,
        maxTables: Int = 64,
        maxReaders: Int = 126
    ) {
        self.directory = directory
        self.initialMapSize = initialMapSize
        self.maximumMapSize = max(maximumMapSize, initialMapSize)
        self.maxTables = maxTables
        self.maxReaders = maxReaders
    }
}

/// Sizes and usage of an open store, for status output and monitoring.
public struct StoreInfo: Sendable, Equatable {
    /// Current map size in bytes.
    public var mapSize: Int
    /// Bytes of the map in use (last used page + 1, times the page size).
    public var usedBytes: Int
    /// The database page size.
    public var pageSize: Int
    /// Reader slots in use and available.
    public var readersUsed: Int
    public var maxReaders: Int
    /// How many times the map grew since it was opened.
    public var growthCount: Int
}

/// One LMDB environment: the only way Tributary reaches its persistent state.
///
/// Opened once per directory per process with `MDB_NOTLS`, default (synced) durability: a
/// committed transaction survives `kill -9` and power loss. Transactions are synchronous
/// closures, so they can never span an `await`; exactly one writer runs at a time, and a
/// write that fills the map grows it and runs again, invisibly to the caller.
public final class Store: @unchecked Sendable {
    // Safety: `environment` is used under LMDB's own rules (NOTLS readers, one writer
    // serialized by `writerLock`); all mutable Swift state is guarded by `gate` or `tablesLock`.

    /// The directory the store lives in.
    public let path: String
    /// The configuration it was opened with.
    public let configuration: StoreConfiguration

    let environment: OpaquePointer
    private let writerLock = NSLock()
    private let gate = TransactionGate()
    private let commits = CommitCounter()
    private let tablesLock = NSLock()
    private var openTables: [String: (MDB_dbi, TableOptions)] = [:]
    private var growthCount = 0
    private let canonicalPath: String
    /// Guarded by `writerLock`: whether a deferred commit is not yet synced, and how many
    /// syncs this store asked LMDB for.
    private var unsyncedCommits = false
    private let syncs = Atomic<Int>(0)
    /// The mapping of `data.mdb` and the map size it was found at (see `mapRange()`).
    private let mapRangeLock = NSLock()
    private var cachedMapRange: (start: UnsafeMutableRawPointer, length: Int, mapSize: Int)?

    /// Opens (creating if needed) the store in `configuration.directory`.
    public init(configuration: StoreConfiguration) throws(StorageError) {
        let directory = configuration.directory
        self.configuration = configuration
        self.path = directory

        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw StorageError.from(code: errno, path: directory, operation: "create directory")
        }
        canonicalPath = Self.canonical(directory)
        guard OpenStores.claim(canonicalPath) else {
            throw .alreadyOpen(path: directory)
        }

        var env: OpaquePointer?
        var rc = mdb_env_create(&env)
        guard rc == 0, let env else {
            OpenStores.release(canonicalPath)
            throw StorageError.from(code: rc, path: directory, operation: "create environment")
        }
        do {
            try Self.check(mdb_env_set_maxdbs(env, MDB_dbi(configuration.maxTables)), directory, "set max tables")
            try Self.check(mdb_env_set_maxreaders(env, UInt32(configuration.maxReaders)), directory, "set max readers")
            try Self.check(mdb_env_set_mapsize(env, configuration.initialMapSize), directory, "set map size")
            rc = mdb_env_open(env, directory, UInt32(MDB_NOTLS | MDB_NORDAHEAD), 0o600)
            if rc == MDB_READERS_FULL {
                rc = mdb_env_open(env, directory, UInt32(MDB_NOTLS | MDB_NORDAHEAD), 0o600)
            }
            try Self.check(rc, directory, "open")
            // Slots left by processes that died while reading would pin old pages forever.
            var cleared: Int32 = 0
            _ = mdb_reader_check(env, &cleared)
        } catch {
            mdb_env_close(env)
            OpenStores.release(canonicalPath)
            throw error
        }
        environment = env
    }

    deinit {
        // Deferred commits are in the page cache already; closing does not lose them, but a
        // store closed cleanly should leave nothing unsynced.
        if unsyncedCommits { _ = mdb_env_sync(environment, 1) }
        mdb_env_close(environment)
        OpenStores.release(canonicalPath)
    }

    // MARK: Tables

    /// Opens (creating if needed) a named table with typed keys and values.
    ///
    /// Opening the same name again returns the same handle; the options must match.
    public func openTable<Key, Value>(
        _ name: String,
        options: TableOptions = [],
        keyType: Key.Type = Key.self,
        valueType: Value.Type = Value.self
    ) throws(StorageError) -> Table<Key, Value> {
        tablesLock.lock()
        let existing = openTables[name]
        tablesLock.unlock()
        if let (handle, opened) = existing {
            guard opened == options else {
                throw .incompatible(path: path, detail: "table '\(name)' is already open with other options")
            }
            return Table(name: name, options: options, handle: handle, storeIdentity: ObjectIdentifier(self))
        }
        let handle: MDB_dbi = try storageOnly { try write { txn in
            var dbi: MDB_dbi = 0
            let rc = mdb_dbi_open(txn.pointer, name, UInt32(MDB_CREATE) | options.rawValue, &dbi)
            if rc == MDB_DBS_FULL {
                throw StorageError.tooManyTables(path: path, limit: configuration.maxTables)
            }
            if rc == MDB_INCOMPATIBLE {
                throw StorageError.incompatible(path: path, detail: "table '\(name)' exists with other options")
            }
            try Self.check(rc, path, "open table '\(name)'")
            return dbi
        } }
        tablesLock.lock()
        openTables[name] = (handle, options)
        tablesLock.unlock()
        return Table(name: name, options: options, handle: handle, storeIdentity: ObjectIdentifier(self))
    }

    // MARK: Transactions

    /// Runs `body` in a read-only snapshot transaction.
    ///
    /// Many reads run concurrently with each other and with the writer. Keep them short: an
    /// open reader stops LMDB from reusing pages freed by later writes.
    @discardableResult
    public func read<Result>(_ body: (ReadTransaction) throws -> Result) throws -> Result {
        try TransactionNesting.enter(path: path)
        defer { TransactionNesting.leave() }
        gate.enter()
        defer { gate.leave() }
        let txn = try beginTransaction(flags: UInt32(MDB_RDONLY))
        let transaction = ReadTransaction(pointer: txn, store: self)
        defer {
            transaction.close()
            mdb_txn_abort(txn)
        }
        return try body(transaction)
    }

    /// Runs `body` in the single write transaction and commits it if `body` returns.
    ///
    /// Any error thrown by `body` or by a storage call aborts the whole transaction. When the
    /// map fills up, the transaction is aborted, the map grows, and `body` runs again from the
    /// start, so `body` must have no effects outside the transaction.
    ///
    /// `durability` is ``WriteDurability/durable`` unless given: the commit is on disk when
    /// this returns. ``WriteDurability/deferred`` commits without a sync; a later ``flush()``
    /// makes a group of such commits durable with one `fdatasync` (read its crash-safety notes).
    @discardableResult
    public func write<Result>(
        durability: WriteDurability = .durable, _ body: (WriteTransaction) throws -> Result
    ) throws -> Result {
        try TransactionNesting.enter(path: path)
        defer { TransactionNesting.leave() }
        writerLock.lock()
        defer { writerLock.unlock() }
        while true {
            switch try attemptWrite(durability: durability, body) {
            case .committed(let result):
                return result
            case .mapFull:
                try growMap()
            }
        }
    }

    /// Makes every ``WriteDurability/deferred`` commit so far durable with one `fdatasync`
    /// (nothing to do when there is none). Waits for a running write transaction to finish.
    /// Call it outside any transaction, for instance once per sync batch.
    public func flush() throws(StorageError) {
        writerLock.lock()
        defer { writerLock.unlock() }
        guard unsyncedCommits else { return }
        syncs.add(1, ordering: .relaxed)
        try Self.check(mdb_env_sync(environment, 1), path, "sync")
        unsyncedCommits = false
    }

    /// How many times this store synced the data file: one `fdatasync` per durable commit
    /// and per ``flush()`` that had deferred commits to sync. For benchmarks and tests.
    public var syncCount: Int {
        syncs.load(ordering: .relaxed)
    }

    private enum WriteAttempt<Result> {
        case committed(Result)
        case mapFull
    }

    private func attemptWrite<Result>(
        durability: WriteDurability, _ body: (WriteTransaction) throws -> Result
    ) throws -> WriteAttempt<Result> {
        gate.enter()
        defer { gate.leave() }
        let txn = try beginTransaction(flags: 0)
        let transaction = WriteTransaction(pointer: txn, store: self)
        let result: Result
        do {
            result = try body(transaction)
        } catch {
            transaction.close()
            mdb_txn_abort(txn)
            // A map-full inside the body may have been caught and rethrown as something else;
            // the transaction remembers it either way.
            if transaction.hitMapFull { return .mapFull }
            throw error
        }
        transaction.close()
        if transaction.hitMapFull {
            mdb_txn_abort(txn)
            return .mapFull
        }
        commits.willCommit()
        let rc = commit(txn, durability: durability)
        if rc == MDB_MAP_FULL { return .mapFull }
        if rc != 0 {
            throw StorageError.from(code: rc, path: path, operation: "commit")
        }
        return .committed(result)
    }

    /// Commits `txn`, synced or not. `MDB_NOSYNC` is an environment flag: it is set for this
    /// one commit only, by the single writer (under `writerLock`), so no other commit sees it.
    private func commit(_ txn: OpaquePointer, durability: WriteDurability) -> Int32 {
        switch durability {
        case .durable:
            let rc = mdb_txn_commit(txn)
            if rc == 0 {
                // LMDB's synced commit syncs the whole data file: earlier deferred commits too.
                syncs.add(1, ordering: .relaxed)
                unsyncedCommits = false
            }
            return rc
        case .deferred:
            mdb_env_set_flags(environment, UInt32(MDB_NOSYNC), 1)
            let rc = mdb_txn_commit(txn)
            mdb_env_set_flags(environment, UInt32(MDB_NOSYNC), 0)
            if rc == 0 { unsyncedCommits = true }
            return rc
        }
    }

    /// Begins an LMDB transaction, adopting a map grown by another process and clearing stale
    /// reader slots once if they are all taken. A read transaction whose start overlapped a
    /// commit is begun again (see ``CommitCounter``).
    private func beginTransaction(flags: UInt32) throws(StorageError) -> OpaquePointer {
        var retriedReaders = false
        var adoptedSize = false
        let isRead = flags & UInt32(MDB_RDONLY) != 0
        while true {
            var txn: OpaquePointer?
            let before = commits.started
            let rc = mdb_txn_begin(environment, nil, flags, &txn)
            if rc == 0, let txn {
                if isRead, !commits.noneStarted(since: before) {
                    mdb_txn_abort(txn)
                    continue
                }
                return txn
            }
            if rc == MDB_MAP_RESIZED, !adoptedSize {
                adoptedSize = true
                // Another process grew the map; only legal with no transaction open here.
                gate.leave()
                gate.exclusive { _ = mdb_env_set_mapsize(environment, 0) }
                gate.enter()
                continue
            }
            if rc == MDB_READERS_FULL, !retriedReaders {
                retriedReaders = true
                var cleared: Int32 = 0
                _ = mdb_reader_check(environment, &cleared)
                continue
            }
            if rc == MDB_READERS_FULL {
                throw .readersFull(path: path, maxReaders: configuration.maxReaders)
            }
            throw StorageError.from(code: rc, path: path, operation: "begin transaction")
        }
    }

    /// Doubles the map (capped at the maximum), waiting until no transaction is open, as
    /// `mdb_env_set_mapsize` requires.
    private func growMap() throws(StorageError) {
        let current = info().mapSize
        guard current < configuration.maximumMapSize else {
            throw .mapFull(path: path, limit: configuration.maximumMapSize)
        }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var target = min(max(current * 2, current + 16 * pageSize), configuration.maximumMapSize)
        target = (target + pageSize - 1) / pageSize * pageSize
        var rc: Int32 = 0
        gate.exclusive { rc = mdb_env_set_mapsize(environment, target) }
        if rc != 0 {
            throw StorageError.from(code: rc, path: path, operation: "grow map to \(target) bytes")
        }
        tablesLock.lock()
        growthCount += 1
        tablesLock.unlock()
        MapGrowthObservers.notify(MapGrowthEvent(path: path, previousSize: current, newSize: target))
    }

    // MARK: Inspection and maintenance

    /// Drops the map's pages from this process's resident set. They stay in the kernel's page
    /// cache (the map is a read-only shared file mapping, so nothing is lost or written), and
    /// the next access faults them back in cheaply. A long sync touches most of the file once;
    /// without this its whole size would count as the daemon's RSS until memory pressure.
    ///
    /// Safe with readers running (their pointers stay valid and fault again); the gate keeps
    /// map growth from remapping the range meanwhile. Inside a transaction use
    /// ``ReadTransaction/releaseResidentMapPages()`` instead.
    public func releaseResidentMapPages() {
        gate.enter()
        defer { gate.leave() }
        releaseMapPagesInGate()
    }

    /// The madvise itself; the caller holds the gate (an open transaction does), so the map
    /// cannot move. Pages a write transaction changed are copies on the heap (no
    /// `MDB_WRITEMAP`): only clean pages of the file go, and they fault back from the page cache.
    func releaseMapPagesInGate() {
        guard let range = mapRange() else { return }
        _ = madvise(range.start, range.length, MADV_DONTNEED)
    }

    /// Where `data.mdb` is mapped: found once in `/proc/self/maps` (LMDB does not expose its
    /// map address; `me_mapaddr` is only set for `MDB_FIXEDMAP`) and again after the map moved.
    private func mapRange() -> (start: UnsafeMutableRawPointer, length: Int)? {
        let mapSize = info().mapSize
        mapRangeLock.lock()
        defer { mapRangeLock.unlock() }
        if let cached = cachedMapRange, cached.mapSize == mapSize { return (cached.start, cached.length) }
        guard let maps = Self.readProcFile("/proc/self/maps") else { return nil }
        let dataFile = canonicalPath + "/data.mdb"
        for line in maps.split(separator: "\n") where line.hasSuffix(dataFile) {
            let range = line.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16), end > start,
                  let address = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            cachedMapRange = (address, Int(end - start), mapSize)
            return (address, Int(end - start))
        }
        return nil
    }

    /// The whole text of a file under /proc. Read to its end: such files report a size of 0, and
    /// `String(contentsOfFile:)` returns only their first page.
    static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Current sizes and usage.
    public func info() -> StoreInfo {
        var envInfo = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(environment, &envInfo)
        mdb_env_stat(environment, &stat)
        tablesLock.lock()
        let grown = growthCount
        tablesLock.unlock()
        return StoreInfo(
            mapSize: envInfo.me_mapsize,
            usedBytes: (envInfo.me_last_pgno + 1) * Int(stat.ms_psize),
            pageSize: Int(stat.ms_psize),
            readersUsed: Int(envInfo.me_numreaders),
            maxReaders: Int(envInfo.me_maxreaders),
            growthCount: grown
        )
    }

    /// Writes a consistent, compacted copy of the store into `directory` (which must exist and be empty).
    public func backup(to directory: String) throws(StorageError) {
        try Self.check(mdb_env_copy2(environment, directory, UInt32(MDB_CP_COMPACT)), path, "back up to \(directory)")
    }

    // MARK: Helpers

    /// Narrows a closure that can only fail with storage errors to a typed throw.
    private func storageOnly<T>(_ body: () throws -> T) throws(StorageError) -> T {
        do {
            return try body()
        } catch let error as StorageError {
            throw error
        } catch {
            throw .lmdb(path: path, operation: "internal", code: -1, message: "\(error)")
        }
    }

    static func check(_ rc: Int32, _ path: String, _ operation: String) throws(StorageError) {
        if rc != 0 {
            throw StorageError.from(code: rc, path: path, operation: operation)
        }
    }

    private static func canonical(_ directory: String) -> String {
        guard let resolved = realpath(directory, nil) else { return directory }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// A map growth, reported so the daemon can journal it.
public struct MapGrowthEvent: Sendable, Equatable {
    public var path: String
    public var previousSize: Int
    public var newSize: Int
}

/// Process-wide listeners for map growth (the daemon installs one that logs to the journal).
public enum MapGrowthObservers {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var observers: [@Sendable (MapGrowthEvent) -> Void] = []

    /// Adds a listener; it is called on the writing thread, so it must be quick.
    public static func add(_ observer: @escaping @Sendable (MapGrowthEvent) -> Void) {
        lock.lock()
        observers.append(observer)
        lock.unlock()
    }

    static func notify(_ event: MapGrowthEvent) {
        lock.lock()
        let current = observers
        lock.unlock()
        for observer in current {
            observer(event)
        }
    }
}

/// LMDB must not open one environment twice in a process; this registry enforces it.
private enum OpenStores {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    static func claim(_ path: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return paths.insert(path).inserted
    }

    static func release(_ path: String) {
        lock.lock()
        paths.remove(path)
        lock.unlock()
    }
}

/// Counts the commits this process has started, so a reader can tell that its snapshot is whole.
///
/// LMDB 0.9.24's `mdb_txn_begin` for a reader pins transaction N in its reader slot, then copies
/// the root pointers from meta page N & 1. A reader preempted between the two steps while the
/// writer commits twice copies meta page N + 2 instead, or a half-rewritten one: it reads another
/// snapshot than the one it pinned, so the next read on the thread can go back in time. Meta page
/// N & 1 is only rewritten inside `mdb_txn_commit` of N + 2, which starts after N + 1 is
/// published, so a reader during whose `mdb_txn_begin` no commit started has the snapshot it
/// pinned. (libmdbx rechecks the meta page after copying it for the same reason.) Only this
/// process's commits are counted: the daemon is the store's only writer.
private final class CommitCounter: Sendable {
    private let counter = Atomic<Int>(0)

    /// How many commits have started; read before `mdb_txn_begin`.
    var started: Int {
        counter.load(ordering: .acquiring)
    }

    /// Called just before `mdb_txn_commit`, which rewrites a meta page.
    func willCommit() {
        counter.add(1, ordering: .sequentiallyConsistent)
    }

    /// Whether no commit started since `started` returned `count`; called after `mdb_txn_begin`,
    /// whose meta-page reads the fence keeps before the check.
    func noneStarted(since count: Int) -> Bool {
        atomicMemoryFence(ordering: .acquiring)
        return counter.load(ordering: .relaxed) == count
    }
}

/// Counts open transactions so the map can be resized only when none is open.
private final class TransactionGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var active = 0
    private var resizing = false

    func enter() {
        condition.lock()
        while resizing { condition.wait() }
        active += 1
        condition.unlock()
    }

    func leave() {
        condition.lock()
        active -= 1
        if active == 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Runs `body` with no transaction open in this process and none allowed to start.
    func exclusive(_ body: () -> Void) {
        condition.lock()
        while resizing { condition.wait() }
        resizing = true
        while active > 0 { condition.wait() }
        body()
        resizing = false
        condition.broadcast()
        condition.unlock()
    }
}

/// Refuses a second transaction on a thread that already has one: a write nested in a read
/// could deadlock map growth, and a read nested in a write would not see the write's changes.
private enum TransactionNesting {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static func enter(path: String) throws(StorageError) {
        if pthread_getspecific(key) != nil {
            throw .nestedTransaction(path: path)
        }
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    }

    static func leave() {
        pthread_setspecific(key, nil)
    }
}
