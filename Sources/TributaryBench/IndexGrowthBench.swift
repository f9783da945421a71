import Content
import Foundation
import Search
import Storage

/// Whether the cost of indexing a batch grows with the index: builds an index of the sync
/// bench's pages (the fake Confluence's generated space of PostgreSQL manual text, written by
/// `scripts/lib/index_growth_pages.py`) the way the engine does, and prints the time per
/// 250-page batch as the index grows, with bytes written, fdatasync calls and RSS.
///
/// Like the engine: batches of 250 pages converted and chunked, then committed in groups of
/// 50 pages (prepare off the transaction, apply inside it), the map's pages released from the
/// RSS after each commit. `--deferred` commits without a sync and makes each batch durable
/// with one ``Store/flush()`` (group commits); `--keep-resident` skips the release.
enum IndexGrowthBench {
    static let batchPages = 250
    static let pagesPerTransaction = 50
    static let datastore: UInt64 = 1

    struct Options {
        var file = ""
        var deferred = false
        var keepResident = false
        var limit = Int.max

        init(_ arguments: [String]) throws {
            var rest = arguments[...]
            while let argument = rest.popFirst() {
                switch argument {
                case "--deferred": deferred = true
                case "--keep-resident": keepResident = true
                case "--pages":
                    guard let value = rest.popFirst().flatMap(Int.init) else { throw SearchBench.BenchError("--pages needs a number") }
                    limit = value
                default: file = argument
                }
            }
            guard !file.isEmpty else {
                throw SearchBench.BenchError("usage: TributaryBench index-growth PAGES_FILE [--pages N] [--deferred] [--keep-resident]"
                                 + " (scripts/bench index-growth writes the file)")
            }
        }
    }

    /// One stored page of the file.
    struct SourcePage {
        var id: String
        var title: String
        var body: [UInt8]
    }

    /// Reads the pages file lazily: the 100,000-page file is 450 MB.
    final class PageReader {
        private let handle: FileHandle
        private var buffer: [UInt8] = []
        private var offset = 0

        init(path: String) throws {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw SearchBench.BenchError("cannot open \(path)") }
            self.handle = handle
        }

        func next() throws -> SourcePage? {
            guard let id = try field(), let title = try field(), let body = try field() else { return nil }
            return SourcePage(id: String(decoding: id, as: UTF8.self), title: String(decoding: title, as: UTF8.self), body: body)
        }

        private func field() throws -> [UInt8]? {
            guard let header = try bytes(4) else { return nil }
            let count = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
            guard let value = try bytes(count) else { throw SearchBench.BenchError("the pages file ends inside a record") }
            return value
        }

        private func bytes(_ count: Int) throws -> [UInt8]? {
            while buffer.count - offset < count {
                let more = handle.readData(ofLength: 1 << 20)
                if more.isEmpty { return nil }
                buffer.removeFirst(offset)
                offset = 0
                buffer.append(contentsOf: more)
            }
            defer { offset += count }
            return Array(buffer[offset..<offset + count])
        }
    }

    /// Per-batch seconds, summed over a window of batches.
    struct Window {
        var batches = 0
        var convert = 0.0
        var prepare = 0.0
        var apply = 0.0
        var commit = 0.0
        var flush = 0.0
        var release = 0.0

        var total: Double { convert + prepare + apply + commit + flush + release }

        mutating func reset() { self = Window() }
    }

    static func run(arguments: [String]) throws {
        let options = try Options(arguments)
        let reader = try PageReader(path: options.file)
        let directory = Measure.temporaryDirectory("index-growth")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(configuration: StoreConfiguration(directory: directory))
        let index = try SearchIndex(store: store)
        let tokenizer = try Tokenizer()
        let chunker = Chunker()
        emit("index-growth bench (sync bench pages, \(batchPages)-page batches, \(pagesPerTransaction) pages per transaction, "
              + (options.deferred ? "deferred commits + one flush per batch" : "durable commits")
              + (options.keepResident ? ", map pages kept resident)" : ", map pages released after each commit)"))
        emit("  pages   ms/batch  convert prepare   apply  commit   flush release   MB written  syncs/batch  RSS MB  HWM MB  map MB")

        let io0 = ProcessIO.current()
        var syncs0 = store.syncCount
        var window = Window()
        var indexed = 0
        var batch = 0
        let reportEvery = [0, 1, 2, 3]
        var nextMark = 10_000
        let cpu0 = SearchBench.processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        while indexed < options.limit {
            var pages: [SourcePage] = []
            while pages.count < batchPages, indexed + pages.count < options.limit, let page = try reader.next() {
                pages.append(page)
            }
            if pages.isEmpty { break }
            // Convert and chunk, as the engine does before its transactions.
            let (updates, convertSeconds) = Measure.timed {
                pages.map { page in
                    let document = StorageFormat.convert(utf8: page.body, title: page.title)
                    var chunks = chunker.chunks(of: document, pageID: page.id)
                    if chunks.isEmpty {
                        chunks = [Chunk(pageID: page.id, ordinal: 0, sectionIndex: nil, headingPath: [], anchor: "", text: page.title,
                                        wordCount: 1)]
                    }
                    return PageUpdate(page: IndexedPage(pageID: page.id, title: page.title, urlHint: "https://x/\(page.id)"),
                                      chunks: chunks, text: PageText(document: document))
                }
            }
            window.convert += convertSeconds
            var group = 0
            while group < updates.count {
                let end = min(group + pagesPerTransaction, updates.count)
                let (prepared, prepareSeconds) = try Measure.timed { try index.prepare(Array(updates[group..<end]), tokenizer: tokenizer) }
                window.prepare += prepareSeconds
                var applySeconds = 0.0
                let writeSeconds = try Measure.seconds {
                    try store.write(durability: options.deferred ? .deferred : .durable) { txn in
                        applySeconds = try Measure.seconds { try index.apply(prepared, datastore: datastore, in: txn, tokenizer: tokenizer) }
                    }
                }
                window.apply += applySeconds
                window.commit += writeSeconds - applySeconds
                if !options.keepResident { window.release += Measure.seconds { store.releaseResidentMapPages() } }
                group = end
            }
            if options.deferred { window.flush += try Measure.seconds { try store.flush() } }
            indexed += pages.count
            window.batches += 1
            if reportEvery.contains(batch) || indexed >= nextMark || pages.count < batchPages {
                let io = ProcessIO.current()
                let status = ProcessStatus.current()
                let syncs = store.syncCount
                let perBatch = Double(max(window.batches, 1))
                emit(String(format: "  %6d  %8.1f  %7.1f %7.1f %7.1f %7.1f %7.1f %7.1f  %11.1f  %11.1f  %6.0f  %6.0f  %6.0f",
                             indexed, window.total / perBatch * 1e3, window.convert / perBatch * 1e3,
                             window.prepare / perBatch * 1e3, window.apply / perBatch * 1e3, window.commit / perBatch * 1e3,
                             window.flush / perBatch * 1e3, window.release / perBatch * 1e3,
                             Double(io.writeBytes - io0.writeBytes) / 1e6, Double(syncs - syncs0) / perBatch,
                             Double(status.rssKB) / 1024, Double(status.hwmKB) / 1024, Double(store.info().usedBytes) / 1e6))
                syncs0 = syncs
                window.reset()
                while nextMark <= indexed { nextMark += 10_000 }
            }
            batch += 1
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = SearchBench.processCPUSeconds() - cpu0
        // Before the audit, which holds every posting in memory.
        let peakKB = ProcessStatus.current().hwmKB
        try queryLatency(store: store, index: index, tokenizer: tokenizer)
        let audit = try store.read { try index.audit(datastore: datastore, in: $0) }
        guard audit.isConsistent else { throw SearchBench.BenchError("index audit failed: \(audit.problems.prefix(3))") }
        emit(String(format: "  total: %.1f s, %d pages, %d chunks, %.1f s CPU (user+system), %d fdatasyncs, peak RSS %.0f MB",
                    elapsed, indexed, audit.chunks, cpu, store.syncCount, Double(peakKB) / 1024))
    }
}

extension IndexGrowthBench {
    /// Queries on the PostgreSQL manual's vocabulary, common and rare terms.
    static let queries = [
        "replication slot", "vacuum", "create index concurrently", "pg_dump custom format", "write ahead log",
        "lock timeout", "foreign data wrapper", "autovacuum_naptime", "tablespace", "logical decoding output plugin",
        "btree operator class", "shared_buffers", "jsonb containment", "pg_stat_activity", "savepoint rollback",
    ]

    /// Mean and worst query latency on the whole index, each query in its own read transaction.
    static func queryLatency(store: Store, index: SearchIndex, tokenizer: Tokenizer) throws {
        var times: [Double] = []
        var found = 0
        for round in 0..<6 {
            for query in queries {
                let (count, seconds) = try Measure.timed {
                    try store.read { txn in try index.search(query, datastore: datastore, in: txn, tokenizer: tokenizer).count }
                }
                if round > 0 { times.append(seconds) }  // round 0 warms the map
                found += count
            }
        }
        guard found > 0 else { throw SearchBench.BenchError("no query found anything: the bench is broken") }
        times.sort()
        emit(String(format: "  queries: mean %.0f µs, median %.0f µs, worst %.0f µs (%d queries × 5 rounds)",
                    times.reduce(0, +) / Double(times.count) * 1e6, times[times.count / 2] * 1e6, times.last! * 1e6, queries.count))
    }
}

/// `/proc/self/io`: what the process made the kernel write.
struct ProcessIO {
    var writeBytes = 0

    static func current() -> ProcessIO {
        var io = ProcessIO()
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return io }
        for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
            io.writeBytes = Int(line.split(separator: " ").last ?? "") ?? 0
        }
        return io
    }
}

/// `/proc/self/status`: resident set now and at its peak.
struct ProcessStatus {
    var rssKB = 0
    var hwmKB = 0

    static func current() -> ProcessStatus {
        var status = ProcessStatus()
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return status }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let value = Int(fields[1]) else { continue }
            if line.hasPrefix("VmRSS:") { status.rssKB = value }
            if line.hasPrefix("VmHWM:") { status.hwmKB = value }
        }
        return status
    }
}

/// Writes a line at once (print buffers when stdout is a file, and the bench runs long).
private func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
