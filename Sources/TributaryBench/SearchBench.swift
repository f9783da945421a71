import CSQLite3
import Content
import Foundation
import Search
import Storage

/// The search index on a real documentation set, side by side with SQLite FTS5 on the same
/// chunks: build time, size on disk, query latency; plus Content's conversion throughput.
///
/// Corpus: the Debian Reference (HTML, package `debian-reference-en`, installed here if
/// missing) converted through Content's storage-format parser, and the man pages of sections
/// 5, 7 and 8 rendered with groff. Both sides index the same chunks in transactions of the
/// same size with synced commits; FTS5 uses `porter unicode61 remove_diacritics 2` and the same
/// field weights.
enum SearchBench {
    static let batchPages = 250
    static let rounds = 20

    static func run() throws {
        print("search bench (Debian Reference HTML + man pages 5/7/8; LMDB index vs SQLite FTS5)")
        let corpus = try Corpus.load()
        Measure.row("corpus", "\(corpus.pages.count) pages",
                    "\(corpus.chunkCount) chunks, \(String(format: "%.1f", Double(corpus.textBytes) / 1e6)) MB of chunk text")
        Measure.row("Content: storage format → Document", String(format: "%.1f MB/s", corpus.conversionMBps),
                    "\(String(format: "%.1f", Double(corpus.htmlBytes) / 1e6)) MB of HTML; "
                    + String(format: "%.1f MB/s with chunking", corpus.chunkingMBps))

        let tokenizer = try Tokenizer()
        var tokens = 0
        let tokenizing = Measure.seconds {
            for page in corpus.pages { for chunk in page.chunks { tokens += tokenizer.terms(in: chunk.text).count } }
        }
        Measure.row("tokenizer: fold + stem, strings out", String(format: "%.1f MB/s", Double(corpus.textBytes) / 1e6 / tokenizing),
                    Measure.rate(tokens, tokenizing) + " tokens")

        // Best of three builds each, interleaved: commits are synced and the disk is shared.
        var sequential = try OurIndex(corpus: corpus, pipelined: false)
        var ours = try OurIndex(corpus: corpus, pipelined: true)
        var fts = try FTS5Index(corpus: corpus)
        for _ in 0..<2 {
            let nextSequential = try OurIndex(corpus: corpus, pipelined: false)
            if nextSequential.buildSeconds < sequential.buildSeconds { sequential = nextSequential }
            let nextOurs = try OurIndex(corpus: corpus, pipelined: true)
            if nextOurs.buildSeconds < ours.buildSeconds { ours = nextOurs }
            let nextFTS = try FTS5Index(corpus: corpus)
            if nextFTS.buildSeconds < fts.buildSeconds { fts = nextFTS }
        }
        let batching = "\(batchPages) pages per synced transaction"
        Measure.row("build: SQLite FTS5", String(format: "%.2f s", fts.buildSeconds),
                    Measure.rate(corpus.chunkCount, fts.buildSeconds) + " chunks, "
                    + String(format: "%.2f s CPU, ", fts.cpuSeconds) + batching)
        Measure.row("build: Tributary, one thread", String(format: "%.2f s", sequential.buildSeconds),
                    Measure.rate(corpus.chunkCount, sequential.buildSeconds) + " chunks, "
                    + String(format: "%.2f s CPU, %.2f× FTS5's speed", sequential.cpuSeconds,
                             fts.buildSeconds / sequential.buildSeconds))
        Measure.row("  prepare / apply / commit", String(format: "%.2f/%.2f/%.2f", sequential.prepareSeconds,
                                                                  sequential.applySeconds, sequential.commitSeconds),
                    "seconds: tokenising; index writes in the transaction; commit with fsync")
        Measure.row("build: Tributary, prepare ‖ apply", String(format: "%.2f s", ours.buildSeconds),
                    Measure.rate(corpus.chunkCount, ours.buildSeconds) + " chunks, "
                    + String(format: "%.2f s CPU, %.2f× FTS5's speed", ours.cpuSeconds, fts.buildSeconds / ours.buildSeconds)
                    + " (tokenising on a 2nd thread)")
        Measure.row("  prepare CPU / apply CPU / writer idle", String(format: "%.2f/%.2f/%.2f", ours.prepareCPUSeconds,
                                                                        ours.applyCPUSeconds, ours.waitSeconds),
                    String(format: "seconds; one thread: %.2f/%.2f CPU", sequential.prepareCPUSeconds, sequential.applyCPUSeconds))
        Measure.row("postings written", "\(ours.postingCount)",
                    "8 bytes each (DUPSORT|DUPFIXED), one bulk put per term and batch (MDB_MULTIPLE), one cursor")
        Measure.row("size: Tributary index (LMDB)", megabytes(ours.usedBytes),
                    "file high-water mark; \(megabytes(ours.compactBytes)) compacted copy")
        Measure.row("size: SQLite FTS5", megabytes(fts.sizeBytes), "database file, text included as in LMDB")

        let queries = QuerySet.queries
        let ourTimes = try ours.measure(queries, rounds: rounds)
        let ftsTimes = try fts.measure(queries, rounds: rounds)
        Measure.row("query p50 / p99: Tributary", "\(micros(percentile(ourTimes, 0.5))) / \(micros(percentile(ourTimes, 0.99)))",
                    "\(queries.count) queries × \(rounds), top 10 with snippets")
        Measure.row("query p50 / p99: SQLite FTS5", "\(micros(percentile(ftsTimes, 0.5))) / \(micros(percentile(ftsTimes, 0.99)))",
                    "same queries as OR of terms, bm25(3,2,1) + snippet()")
        Measure.row("slowest query: Tributary", micros(ourTimes.max() ?? 0), slowest(queries, ourTimes))
        Measure.row("slowest query: SQLite FTS5", micros(ftsTimes.max() ?? 0), slowest(queries, ftsTimes))
        let p50 = percentile(ourTimes, 0.5)
        let verdict = sequential.buildSeconds <= fts.buildSeconds ? "met"
            : ours.buildSeconds <= fts.buildSeconds ? "met only with prepare ‖ apply" : "NOT met"
        print("  targets: indexing ≥ FTS5 speed: \(verdict); "
            + "query p50 ≤ 1 ms: \(p50 <= 0.001 ? "met" : "NOT met")")
        try ours.printExamples(["apt pinning", "\"unattended upgrades\"", "fstab mount options"], fts: fts)
    }

    /// Only the one-thread index build, repeated: the suite to run under a profiler.
    static func runBuild() throws {
        // More runs (TRIBUTARY_BENCH_RUNS) give a profiler more samples of the build itself.
        let runs = ProcessInfo.processInfo.environment["TRIBUTARY_BENCH_RUNS"].flatMap(Int.init) ?? 5
        print("search index build (one thread, \(batchPages) pages per synced transaction), \(runs) runs")
        let corpus = try Corpus.load()
        for _ in 0..<runs {
            let built = try OurIndex(corpus: corpus, pipelined: false)
            Measure.row("build", String(format: "%.3f s", built.buildSeconds),
                        String(format: "prepare %.3f (CPU %.3f), apply %.3f (CPU %.3f), commit %.3f s; %.1f MB used, %.1f MB compacted",
                               built.prepareSeconds, built.prepareCPUSeconds, built.applySeconds, built.applyCPUSeconds,
                               built.commitSeconds,
                               Double(built.usedBytes) / 1e6, Double(built.compactBytes) / 1e6))
            // Every fifth page indexed again, as an edited page is: its old chunks and postings go.
            let updates = stride(from: 0, to: corpus.pages.count, by: 5).map {
                PageUpdate(page: corpus.pages[$0].page, chunks: corpus.pages[$0].chunks)
            }
            let cpuBefore = Measure.threadCPUSeconds()
            let replacing = try Measure.seconds {
                for start in stride(from: 0, to: updates.count, by: batchPages) {
                    let batch = Array(updates[start..<min(start + batchPages, updates.count)])
                    let prepared = try built.index.prepare(batch, tokenizer: built.tokenizer)
                    try built.store.write { txn in _ = try built.index.apply(prepared, datastore: OurIndex.datastore, in: txn) }
                }
            }
            Measure.row("  replace every 5th page", String(format: "%.3f s", replacing),
                        String(format: "CPU %.3f s, %d pages", Measure.threadCPUSeconds() - cpuBefore, updates.count))
        }
    }

    /// The top ten of every bench query, with exact scores, snippets and the index counters:
    /// diff two runs' output to check that an index change kept rankings identical.
    static func runResults() throws {
        let corpus = try Corpus.load()
        let built = try OurIndex(corpus: corpus, pipelined: false)
        try built.store.read { txn in
            print("statistics: \(try built.index.statistics(datastore: OurIndex.datastore, in: txn))")
            print("postings: \(built.postingCount)")
            for query in QuerySet.queries + ["apt pinning", "\"unattended upgrades\"", "fstab mount options"] {
                print("query: \(query)")
                let results = try built.index.search(query, datastore: OurIndex.datastore, in: txn, tokenizer: built.tokenizer)
                for result in results {
                    print("  \(result.pageID) #\(result.ordinal) id \(result.chunkID) score \(result.score.bitPattern) "
                        + String(format: "%.6f", result.score) + " \(result.snippet.prefix(80).replacingOccurrences(of: "\n", with: " "))")
                }
            }
        }
    }

    /// User + system CPU seconds of the whole process so far (all threads).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    /// The query with the highest median time (times are rounds of the whole query list).
    static func slowest(_ queries: [String], _ times: [Double]) -> String {
        let medians = queries.indices.map { index in
            percentile(stride(from: index, to: times.count, by: queries.count).map { times[$0] }, 0.5)
        }
        guard let worst = medians.indices.max(by: { medians[$0] < medians[$1] }) else { return "" }
        return "median of \(queries[worst]): \(micros(medians[worst]))"
    }

    static func micros(_ seconds: Double) -> String {
        String(format: "%.0f µs", seconds * 1e6)
    }

    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}

// MARK: - Corpus

extension SearchBench {
    struct BenchPage {
        var page: IndexedPage
        var chunks: [Chunk]
    }

    struct Corpus {
        var pages: [BenchPage]
        var htmlBytes: Int
        var conversionMBps: Double
        var chunkingMBps: Double

        var chunkCount: Int { pages.reduce(0) { $0 + $1.chunks.count } }
        var textBytes: Int { pages.reduce(0) { $0 + $1.chunks.reduce(0) { $0 + $1.text.utf8.count } } }

        static let referenceDirectory = "/usr/share/debian-reference"

        static func load() throws -> Corpus {
            try installReferenceIfMissing()
            let files = try FileManager.default.contentsOfDirectory(atPath: referenceDirectory)
                .filter { $0.hasSuffix(".en.html") }.sorted()
            let bodies = try files.map { name -> (String, [UInt8]) in
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(referenceDirectory)/\(name)"))
                return (name, [UInt8](data))
            }
            let htmlBytes = bodies.reduce(0) { $0 + $1.1.count }
            let chunker = Chunker()

            // Conversion throughput: three passes, best one (the machine is shared).
            var bestConversion = Double.infinity
            var bestChunking = Double.infinity
            var pages: [BenchPage] = []
            for pass in 0..<3 {
                var converted: [(String, Document)] = []
                let conversion = Measure.seconds {
                    converted = bodies.map { name, bytes in (name, StorageFormat.convert(utf8: bytes, title: title(of: bytes))) }
                }
                var chunked: [BenchPage] = []
                let chunking = Measure.seconds {
                    chunked = converted.map { name, document in
                        let id = "debref:" + name.replacingOccurrences(of: ".en.html", with: "")
                        return BenchPage(
                            page: IndexedPage(pageID: id, title: document.title, urlHint: "file://\(referenceDirectory)/\(name)"),
                            chunks: chunker.chunks(of: document, pageID: id))
                    }
                }
                bestConversion = min(bestConversion, conversion)
                bestChunking = min(bestChunking, conversion + chunking)
                if pass == 0 { pages = chunked }
            }
            pages += try ManPages.load(chunker: chunker)
            return Corpus(pages: pages, htmlBytes: htmlBytes, conversionMBps: Double(htmlBytes) / 1e6 / bestConversion,
                          chunkingMBps: Double(htmlBytes) / 1e6 / bestChunking)
        }

        /// The `<title>` of an HTML file.
        static func title(of bytes: [UInt8]) -> String {
            let text = String(decoding: bytes.prefix(4_096), as: UTF8.self)
            guard let start = text.range(of: "<title>"), let end = text.range(of: "</title>", range: start.upperBound..<text.endIndex)
            else { return "" }
            return String(text[start.upperBound..<end.lowerBound])
        }

        /// The corpus package is not one of the project's build dependencies, so the bench
        /// fetches it itself (the machines are root; sudo otherwise).
        static func installReferenceIfMissing() throws {
            guard !FileManager.default.fileExists(atPath: "\(referenceDirectory)/ch01.en.html") else { return }
            print("  installing debian-reference-en (the search bench corpus) with apt-get…")
            let sudo = getuid() == 0 ? "" : "sudo "
            try Shell.run("\(sudo)env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debian-reference-en >/dev/null 2>&1"
                + " || { \(sudo)apt-get update -qq && \(sudo)env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debian-reference-en >/dev/null; }")
            guard FileManager.default.fileExists(atPath: "\(referenceDirectory)/ch01.en.html") else {
                throw BenchError("debian-reference-en could not be installed; run: apt-get install debian-reference-en")
            }
        }
    }

    /// Man pages rendered by groff to plain UTF-8, cut at their section headings.
    enum ManPages {
        static let sections = ["man5", "man7", "man8"]

        static func load(chunker: Chunker) throws -> [BenchPage] {
            let output = Measure.temporaryDirectory("man")
            defer { try? FileManager.default.removeItem(atPath: output) }
            let sources = sections.map { "/usr/share/man/\($0)" }.joined(separator: " ")
            // Two groff processes at a time: the machine has two cores.
            try Shell.run("find \(sources) -type f -name '*.gz' 2>/dev/null | sort | xargs -r -P 2 -I{} sh -c "
                + "'zcat \"$1\" | groff -k -t -man -Tutf8 -P-cbou 2>/dev/null > \"$2/$(basename \"$1\" .gz)\"' _ {} \(output)")
            let names = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
            var pages: [BenchPage] = []
            for name in names {
                guard let text = try? String(contentsOfFile: "\(output)/\(name)", encoding: .utf8), text.utf8.count > 300 else { continue }
                let id = "man:" + name
                let document = document(from: text, name: name)
                let chunks = chunker.chunks(of: document, pageID: id)
                guard !chunks.isEmpty else { continue }
                pages.append(BenchPage(page: IndexedPage(pageID: id, title: document.title, urlHint: "man:\(name)"), chunks: chunks))
            }
            return pages
        }

        /// Column-0 lines are section headings (`NAME`, `DESCRIPTION`); blank lines end paragraphs.
        static func document(from text: String, name: String) -> Document {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if !lines.isEmpty { lines.removeFirst() }  // running header
            while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
            if !lines.isEmpty { lines.removeLast() }  // running footer
            var sections: [Section] = [Section(heading: "", level: 0, anchor: "", headingPath: [], blocks: [])]
            var paragraph: [Substring] = []
            func flush() {
                guard !paragraph.isEmpty else { return }
                sections[sections.count - 1].blocks.append(.paragraph(paragraph.joined(separator: " ")))
                paragraph.removeAll()
            }
            for line in lines {
                let trimmed = line.drop { $0 == " " }
                if trimmed.isEmpty {
                    flush()
                } else if trimmed.startIndex == line.startIndex {
                    flush()
                    let heading = String(line)
                    sections.append(Section(heading: heading, level: 2, anchor: HeadingAnchor.anchor(for: heading),
                                            headingPath: [heading], blocks: []))
                } else {
                    paragraph.append(trimmed)
                }
            }
            flush()
            let summary = sections.first { $0.heading == "NAME" }.flatMap { section -> String? in
                if case .paragraph(let text) = section.blocks.first { return text }
                return nil
            }
            let base = name.split(separator: ".").dropLast().joined(separator: ".")
            let section = name.split(separator: ".").last.map(String.init) ?? ""
            return Document(title: summary.map { "\(base)(\(section)): \($0)" } ?? "\(base)(\(section))", sections: sections)
        }
    }
}

// MARK: - Tributary's index

extension SearchBench {
    final class OurIndex {
        let directory = Measure.temporaryDirectory("search")
        let store: Store
        let index: SearchIndex
        let tokenizer: Tokenizer
        var buildSeconds = 0.0
        var cpuSeconds = 0.0
        /// One-thread builds only: tokenising, writing inside the transaction, and the rest of
        /// the write (commit and its fsyncs).
        var prepareSeconds = 0.0
        var applySeconds = 0.0
        var commitSeconds = 0.0
        /// CPU time of this thread in prepare and apply: steadier than wall time on a busy machine.
        var prepareCPUSeconds = 0.0
        var applyCPUSeconds = 0.0
        /// Pipelined builds only: how long the writer waited for prepared batches.
        var waitSeconds = 0.0
        var usedBytes = 0
        var compactBytes = 0
        var postingCount = 0
        static let datastore: UInt64 = 1

        init(corpus: Corpus, pipelined: Bool) throws {
            store = try Store(configuration: StoreConfiguration(directory: directory))
            index = try SearchIndex(store: store)
            tokenizer = try Tokenizer()
            let batches = stride(from: 0, to: corpus.pages.count, by: batchPages).map { start in
                corpus.pages[start..<min(start + batchPages, corpus.pages.count)].map {
                    PageUpdate(page: $0.page, chunks: $0.chunks)
                }
            }
            let cpuBefore = processCPUSeconds()
            buildSeconds = try Measure.seconds {
                if pipelined {
                    try buildPipelined(batches)
                } else {
                    for batch in batches {
                        let cpuBefore = Measure.threadCPUSeconds()
                        let (prepared, preparing) = try Measure.timed { try index.prepare(batch, tokenizer: tokenizer) }
                        prepareSeconds += preparing
                        prepareCPUSeconds += Measure.threadCPUSeconds() - cpuBefore
                        // The body reruns if the map grows: only its last run counts as applying.
                        var applying = 0.0
                        var applyingCPU = 0.0
                        let writing = try Measure.seconds {
                            try store.write { txn in
                                let cpuBefore = Measure.threadCPUSeconds()
                                applying = try Measure.seconds {
                                    _ = try index.apply(prepared, datastore: Self.datastore, in: txn)
                                }
                                applyingCPU = Measure.threadCPUSeconds() - cpuBefore
                            }
                        }
                        applySeconds += applying
                        applyCPUSeconds += applyingCPU
                        commitSeconds += writing - applying
                    }
                }
            }
            cpuSeconds = processCPUSeconds() - cpuBefore
            usedBytes = store.info().usedBytes
            let copy = directory + "-compact"
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: copy) }
            try store.backup(to: copy)
            compactBytes = (try FileManager.default.attributesOfItem(atPath: copy + "/data.mdb")[.size] as? Int) ?? 0
            let audit = try store.read { try index.audit(datastore: Self.datastore, in: $0) }
            postingCount = audit.postings
            guard audit.isConsistent, audit.chunks == corpus.chunkCount else {
                throw BenchError("index audit failed: \(audit.problems.prefix(3))")
            }
        }

        deinit {
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// A second thread prepares batch n + 1 while this one applies and commits batch n, as
        /// the engine's processing task and single writer do.
        private func buildPipelined(_ batches: [[PageUpdate]]) throws {
            let queue = Handoff<PreparedPages>(capacity: 2)
            let index = self.index
            let producer = Thread {
                let cpuBefore = Measure.threadCPUSeconds()
                do {
                    let tokenizer = try Tokenizer()
                    for batch in batches { queue.put(.success(try index.prepare(batch, tokenizer: tokenizer))) }
                } catch let error as SearchError {
                    queue.put(.failure(error))
                } catch {
                    queue.put(.failure(.stemmerUnavailable(algorithm: "\(error)")))
                }
                queue.producerCPUSeconds = Measure.threadCPUSeconds() - cpuBefore
            }
            producer.start()
            for _ in batches {
                let (item, waited) = Measure.timed { queue.take() }
                let prepared = try item.get()
                waitSeconds += waited
                let cpuBefore = Measure.threadCPUSeconds()
                try store.write { txn in try index.apply(prepared, datastore: Self.datastore, in: txn) }
                applyCPUSeconds += Measure.threadCPUSeconds() - cpuBefore
            }
            prepareCPUSeconds = queue.waitForProducer()
        }

        /// Seconds per query, each in a read transaction of its own, as the daemon serves them.
        func measure(_ queries: [String], rounds: Int) throws -> [Double] {
            var times: [Double] = []
            var results = 0
            for round in 0...rounds {
                for query in queries {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let found = try store.read { txn in
                        try index.search(query, datastore: Self.datastore, in: txn, tokenizer: tokenizer).count
                    }
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    if round > 0 { times.append(elapsed) }  // round 0 warms caches
                    results += found
                }
            }
            guard results > 0 else { throw BenchError("no query found anything: the bench is broken") }
            return times
        }

        func printExamples(_ queries: [String], fts: FTS5Index) throws {
            for query in queries {
                let ours = try store.read { txn in
                    try index.search(query, datastore: Self.datastore, options: SearchOptions(limit: 1), in: txn, tokenizer: tokenizer)
                }.first
                let theirs = try fts.top(query)
                print("  e.g. \(query)")
                print("    tributary: \(ours.map { "\($0.title) › \($0.headingPath.joined(separator: " › "))" } ?? "–")")
                print("               \(ours?.snippet.prefix(150) ?? "")")
                print("    fts5:      \(theirs ?? "–")")
            }
        }
    }
}

// MARK: - SQLite FTS5 baseline

extension SearchBench {
    final class FTS5Index {
        let directory = Measure.temporaryDirectory("fts5")
        private var db: OpaquePointer?
        private var query: OpaquePointer?
        var buildSeconds = 0.0
        var cpuSeconds = 0.0
        var sizeBytes = 0

        init(corpus: Corpus) throws {
            let path = directory + "/fts.sqlite"
            try check(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil), "open")
            try exec("PRAGMA synchronous = FULL")
            try exec("""
                CREATE VIRTUAL TABLE chunks USING fts5(title, headings, body, page_id UNINDEXED, anchor UNINDEXED,
                    tokenize = 'porter unicode61 remove_diacritics 2')
                """)
            var insert: OpaquePointer?
            try check(sqlite3_prepare_v2(db, "INSERT INTO chunks VALUES (?1, ?2, ?3, ?4, ?5)", -1, &insert, nil), "prepare")
            defer { sqlite3_finalize(insert) }
            let cpuBefore = processCPUSeconds()
            buildSeconds = try Measure.seconds {
                var next = 0
                while next < corpus.pages.count {
                    let batch = corpus.pages[next..<min(next + batchPages, corpus.pages.count)]
                    try exec("BEGIN")
                    for page in batch {
                        for chunk in page.chunks {
                            bind(insert, 1, page.page.title)
                            bind(insert, 2, chunk.headingPath.joined(separator: " / "))
                            bind(insert, 3, chunk.text)
                            bind(insert, 4, page.page.pageID)
                            bind(insert, 5, chunk.anchor)
                            guard sqlite3_step(insert) == SQLITE_DONE else { throw BenchError("insert: \(message)") }
                            sqlite3_reset(insert)
                        }
                    }
                    try exec("COMMIT")
                    next += batch.count
                }
            }
            cpuSeconds = processCPUSeconds() - cpuBefore
            sizeBytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            try check(sqlite3_prepare_v2(db, """
                SELECT title, headings, page_id, anchor, bm25(chunks, 3.0, 2.0, 1.0) AS score,
                       snippet(chunks, 2, '«', '»', '…', 32)
                FROM chunks WHERE chunks MATCH ?1 ORDER BY score LIMIT 10
                """, -1, &query, nil), "prepare query")
        }

        deinit {
            sqlite3_finalize(query)
            sqlite3_close(db)
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// `"a" OR "b"`, phrases kept: FTS5's default is AND, our index ranks any-term matches.
        static func matchExpression(_ query: String) -> String {
            var parts: [String] = []
            for (index, piece) in query.split(separator: "\"", omittingEmptySubsequences: false).enumerated() {
                let words = piece.split { !$0.isLetter && !$0.isNumber }.map { "\"\($0)\"" }
                if index % 2 == 1, words.count > 1 {
                    parts.append("\"" + piece.split { !$0.isLetter && !$0.isNumber }.joined(separator: " ") + "\"")
                }
                parts += words
            }
            return parts.joined(separator: " OR ")
        }

        func measure(_ queries: [String], rounds: Int) throws -> [Double] {
            var times: [Double] = []
            for round in 0...rounds {
                for text in queries {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try run(text)
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    if round > 0 { times.append(elapsed) }
                }
            }
            return times
        }

        func top(_ text: String) throws -> String? {
            try run(text).first
        }

        /// Runs one query and reads every column of every row, as a result list needs.
        private func run(_ text: String) throws -> [String] {
            bind(query, 1, Self.matchExpression(text))
            defer { sqlite3_reset(query) }
            var rows: [String] = []
            while true {
                let rc = sqlite3_step(query)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw BenchError("query '\(text)': \(message)") }
                let columns = (0..<6).map { column in sqlite3_column_text(query, Int32(column)).map { String(cString: $0) } ?? "" }
                rows.append("\(columns[0]) › \(columns[1])")
            }
            return rows
        }

        private func bind(_ statement: OpaquePointer?, _ index: Int32, _ value: String) {
            sqlite3_bind_text(statement, index, value, -1, tributary_sqlite_transient())
        }

        private func exec(_ sql: String) throws {
            try check(sqlite3_exec(db, sql, nil, nil, nil), sql)
        }

        private func check(_ rc: Int32, _ what: String) throws {
            guard rc == SQLITE_OK else { throw BenchError("sqlite \(what): \(message)") }
        }

        private var message: String {
            db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown error"
        }
    }
}

// MARK: - Queries and helpers

extension SearchBench {
    /// Fixed queries over the corpus topics: administration, packaging, networking, shells.
    enum QuerySet {
        static let queries = [
            "apt pinning", "configure network interface", "systemd journal", "ssh key authentication",
            "mount nfs share", "locale settings", "cron job schedule", "bash completion", "grub boot loader",
            "disk partition", "backup with rsync", "firewall iptables rules", "kernel module parameters",
            "x11 display", "utf-8 encoding", "sudo configuration", "package dependencies", "debootstrap chroot",
            "virtual machine", "git version control", "build source package", "mail transfer agent",
            "dns resolver", "time synchronization ntp", "change user password", "file permissions chmod",
            "tar archive compression", "shell script loop", "regular expression", "python programming",
            "printer cups", "keyboard layout", "fstab mount options", "logrotate", "dpkg-reconfigure",
            "ext4 journaling", "lvm logical volume", "raid mdadm", "encrypted disk luks", "http proxy",
            "apache web server", "samba share", "signal handling", "tcp socket options", "man page sections",
            "environment variables", "\"unattended upgrades\"", "\"network manager\"", "\"security updates\"",
            "ipv6 address",
        ]
    }

    /// A bounded hand-off between two threads.
    final class Handoff<Value: Sendable>: @unchecked Sendable {
        // Safety: `items`, `done` and `cpu` are only touched under `condition`.
        private let condition = NSCondition()
        private var items: [Result<Value, SearchError>] = []
        private let capacity: Int
        private var done = false
        private var cpu = 0.0

        /// Set by the producer when it is done: the CPU seconds it used.
        var producerCPUSeconds: Double {
            get { condition.withLock { cpu } }
            set {
                condition.withLock {
                    cpu = newValue
                    done = true
                    condition.broadcast()
                }
            }
        }

        /// Waits until the producer has set ``producerCPUSeconds`` and returns it.
        func waitForProducer() -> Double {
            condition.lock()
            defer { condition.unlock() }
            while !done { condition.wait() }
            return cpu
        }

        init(capacity: Int) {
            self.capacity = capacity
        }

        func put(_ item: Result<Value, SearchError>) {
            condition.lock()
            while items.count >= capacity { condition.wait() }
            items.append(item)
            condition.broadcast()
            condition.unlock()
        }

        func take() -> Result<Value, SearchError> {
            condition.lock()
            while items.isEmpty { condition.wait() }
            let item = items.removeFirst()
            condition.broadcast()
            condition.unlock()
            return item
        }
    }

    struct BenchError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) {
            self.description = description
        }
    }

    enum Shell {
        static func run(_ script: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw BenchError("command failed (\(process.terminationStatus)): \(script.prefix(120))")
            }
        }
    }
}
