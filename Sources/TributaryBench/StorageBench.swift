import Foundation
import Storage

/// Batched write throughput and point-read throughput of the LMDB layer, next to the cost of
/// the operating system's durable write (write + fdatasync of the same bytes to a plain file),
/// which bounds how fast any synced commit can be on this disk.
enum StorageBench {
    static let valueSize = 100

    static func run() throws {
        print("storage bench (values of \(valueSize) bytes, synced commits)")
        let baseline = try fsyncBaseline(iterations: 300)
        Measure.row("baseline: write+fdatasync of one record", Measure.rate(300, baseline), "plain file, same disk")

        for (batch, total) in [(1, 1_000), (100, 100_000), (10_000, 500_000)] {
            let directory = Measure.temporaryDirectory("storage")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let store = try Store(configuration: StoreConfiguration(directory: directory))
            let table: Table<UInt64, [UInt8]> = try store.openTable("records")
            let value = [UInt8](repeating: 0xAB, count: valueSize)
            // Random keys: the realistic, harder case for a B+tree than appending.
            var keys = (0..<UInt64(total)).map { $0 &* 0x9E37_79B9_7F4A_7C15 }
            keys.shuffle()
            let elapsed = try Measure.seconds {
                var next = 0
                while next < total {
                    let end = min(next + batch, total)
                    try store.write { txn in
                        for key in keys[next..<end] {
                            try txn.put(table, key, value)
                        }
                    }
                    next = end
                }
            }
            let commitsPerSecond = Double(total / batch) / elapsed
            let note = batch == 1 ? String(format: "%.2f× the fdatasync baseline", commitsPerSecond / (300 / baseline)) : ""
            Measure.row("write, \(batch) records/transaction", Measure.rate(total, elapsed), note)

            if batch == 10_000 {
                try readBench(store: store, table: table, keys: keys)
            }
        }
    }

    private static func readBench(store: Store, table: Table<UInt64, [UInt8]>, keys: [UInt64]) throws {
        let lookups = 200_000
        let sample = (0..<lookups).map { _ in keys[Int.random(in: 0..<keys.count)] }
        var found = 0
        let perTransaction = try Measure.seconds {
            for key in sample.prefix(lookups / 4) {
                if try store.read({ txn in try txn.get(table, key) }) != nil { found += 1 }
            }
        }
        Measure.row("point read, one read transaction each", Measure.rate(lookups / 4, perTransaction), "over \(keys.count) records")
        let batched = try Measure.seconds {
            try store.read { txn in
                for key in sample {
                    if try txn.get(table, key) != nil { found += 1 }
                }
            }
        }
        Measure.row("point read, all in one transaction", Measure.rate(lookups, batched))
        let rawReads = try Measure.seconds {
            try store.read { txn in
                for key in sample {
                    try txn.withRawValue(table, key) { bytes in
                        if bytes != nil { found += 1 }
                    }
                }
            }
        }
        Measure.row("point read, zero-copy bytes", Measure.rate(lookups, rawReads))
        let dictionary = Dictionary(uniqueKeysWithValues: keys.map { ($0, [UInt8](repeating: 0xAB, count: valueSize)) })
        let inMemory = Measure.seconds {
            for key in sample where dictionary[key] != nil { found += 1 }
        }
        Measure.row("baseline: Swift Dictionary lookup", Measure.rate(lookups, inMemory),
                    String(format: "LMDB zero-copy reads at %.2f× of it", inMemory / rawReads))
        if found == 0 { print("  (no keys found: bench is broken)") }
    }

    /// Durable single-record writes to a plain file: the floor under any synced commit.
    private static func fsyncBaseline(iterations: Int) throws -> Double {
        let directory = Measure.temporaryDirectory("fsync")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/baseline"
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        let record = [UInt8](repeating: 0xAB, count: valueSize + 8)
        return Measure.seconds {
            for _ in 0..<iterations {
                _ = record.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                fdatasync(fd)
            }
        }
    }
}
