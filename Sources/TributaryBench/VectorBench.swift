import Foundation
import Search
import Storage

/// The k-NN scan of hybrid search, where its limit is: 100,000 random 384-dimension vectors
/// (all-MiniLM-L6-v2's size) stored as the index stores them, int8 with a scale, scanned in
/// place from LMDB by ``SearchIndex/nearestChunks(to:datastore:k:in:)``; beside it, in the
/// same run, the same scan over Float32 vectors in memory (what an unquantized store would
/// do at best) and over the int8 codes in memory (the scan without LMDB).
enum VectorBench {
    static let count = 100_000
    static let dimensions = 384
    static let queries = 50

    static func run() throws {
        print("vector bench (exact k-NN over \(count) vectors of \(dimensions) dimensions, top 40)")
        var generator = SystemRandomNumberGenerator()
        let floats: [[Float]] = (0..<count).map { _ in (0..<dimensions).map { _ in Float.random(in: -1...1, using: &generator) } }
        let quantized = floats.map { QuantizedVector($0) }
        let queryVectors = (0..<queries).map { _ in QuantizedVector((0..<dimensions).map { _ in Float.random(in: -1...1, using: &generator) }) }

        let directory = Measure.temporaryDirectory("vectors")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(configuration: StoreConfiguration(directory: directory))
        let index = try SearchIndex(store: store)
        // Written as the index writes them (the bench has no chunks, so not through putVectors).
        let raw: Table<[UInt8], [UInt8]> = try store.openTable("search.vectors")
        try store.write { txn in
            for (id, vector) in quantized.enumerated() {
                var key = [UInt8]()
                withUnsafeBytes(of: UInt64(1).bigEndian) { key.append(contentsOf: $0) }
                withUnsafeBytes(of: UInt64(id).bigEndian) { key.append(contentsOf: $0) }
                var value = [UInt8]()
                withUnsafeBytes(of: vector.scale.bitPattern.bigEndian) { value.append(contentsOf: $0) }
                vector.codes.withUnsafeBytes { value.append(contentsOf: $0) }
                _ = try txn.put(raw, key, value)
            }
        }

        var lmdb: [Double] = [], memoryFloat: [Double] = [], memoryInt8: [Double] = []
        var agreement = 0, sameBest = 0
        for query in queryVectors {
            var found: [VectorNeighbour] = []
            lmdb.append(try Measure.seconds {
                found = try store.read { txn in try index.nearestChunks(to: query, datastore: 1, k: 40, in: txn) }
            })
            let queryFloats = query.values
            var best = (id: -1, score: -Float.infinity)
            memoryFloat.append(Measure.seconds {
                for (id, vector) in floats.enumerated() {
                    var dot: Float = 0
                    for index in 0..<dimensions { dot += vector[index] * queryFloats[index] }
                    if dot > best.score { best = (id, dot) }
                }
            })
            var bestInt = (id: -1, score: -Float.infinity)
            memoryInt8.append(Measure.seconds {
                for (id, vector) in quantized.enumerated() {
                    var dot: Int32 = 0
                    for index in 0..<dimensions { dot &+= Int32(vector.codes[index]) &* Int32(query.codes[index]) }
                    let score = Float(dot) * vector.scale
                    if score > bestInt.score { bestInt = (id, score) }
                }
            })
            if found.prefix(3).contains(where: { $0.chunkID == UInt64(best.id) }) { agreement += 1 }
            // The in-memory int8 scan's answer is used, so the optimiser cannot drop the scan.
            if found.first?.chunkID == UInt64(bestInt.id) { sameBest += 1 }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] * 1_000 }
        let ours = median(lmdb)
        Measure.row("int8 scan from LMDB (Tributary)", String(format: "%.1f ms", ours),
                    "per query over \(count) vectors; \(String(format: "%.1f", Double(count * (4 + dimensions)) / 1e6)) MB of vectors")
        Measure.row("Float32 scan in memory (peer)", String(format: "%.1f ms", median(memoryFloat)),
                    String(format: "Tributary's scan takes %.2f× its time; %.0f MB of vectors", ours / median(memoryFloat),
                           Double(count * dimensions * 4) / 1e6))
        Measure.row("int8 scan in memory (peer)", String(format: "%.1f ms", median(memoryInt8)),
                    String(format: "Tributary's scan takes %.2f× its time; same best in %d/%d", ours / median(memoryInt8),
                           sameBest, queries))
        Measure.row("quantization agreement", "\(agreement)/\(queries)", "queries whose Float32 best is in the int8 top 3")
    }
}
