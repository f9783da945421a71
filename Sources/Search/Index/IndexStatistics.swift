import Storage

/// Per-datastore counters: what BM25 needs (chunk count, average field lengths) and the
/// chunk-id allocator.
public struct IndexStatistics: Sendable, Equatable, StorageRecord {
    /// The next chunk id to hand out; ids are never reused within a datastore.
    public var nextChunkID: UInt64
    /// Indexed chunks (BM25's N).
    public var chunkCount: Int
    /// Pages with at least one indexed chunk.
    public var pageCount: Int
    /// Sums of the field lengths over all chunks, in tokens.
    public var totalTitleLength: Int
    public var totalHeadingLength: Int
    public var totalBodyLength: Int
    /// The index layout and the fingerprint of the text analysis the datastore was written
    /// with (0 in records from before they were kept). Writes refuse a datastore that holds
    /// chunks of another layout or analysis: removing those needs the analysis that indexed them.
    public internal(set) var layout: UInt32
    public internal(set) var analysis: UInt32

    /// Counters; the layout and analysis are this build's.
    public init(
        nextChunkID: UInt64 = 1, chunkCount: Int = 0, pageCount: Int = 0, totalTitleLength: Int = 0,
        totalHeadingLength: Int = 0, totalBodyLength: Int = 0
    ) {
        self.nextChunkID = nextChunkID
        self.chunkCount = chunkCount
        self.pageCount = pageCount
        self.totalTitleLength = totalTitleLength
        self.totalHeadingLength = totalHeadingLength
        self.totalBodyLength = totalBodyLength
        layout = IndexFormat.layout
        analysis = IndexFormat.analysis
    }

    /// The postings generations that may hold this datastore's postings (``PostingGeneration``).
    var postingGenerations: Range<UInt32> {
        PostingGeneration.all(below: nextChunkID)
    }

    /// Mean body length in tokens (1 when empty, to keep the arithmetic finite).
    public var averageBodyLength: Double {
        chunkCount == 0 ? 1 : max(1, Double(totalBodyLength) / Double(chunkCount))
    }

    public func encode(to writer: inout ByteWriter) {
        writer.append(nextChunkID)
        writer.append(UInt64(chunkCount))
        writer.append(UInt64(pageCount))
        writer.append(UInt64(totalTitleLength))
        writer.append(UInt64(totalHeadingLength))
        writer.append(UInt64(totalBodyLength))
        writer.append(layout)
        writer.append(analysis)
    }

    public init(from reader: inout ByteReader) throws(StorageError) {
        nextChunkID = try reader.read()
        chunkCount = Int(try reader.read(UInt64.self))
        pageCount = Int(try reader.read(UInt64.self))
        totalTitleLength = Int(try reader.read(UInt64.self))
        totalHeadingLength = Int(try reader.read(UInt64.self))
        totalBodyLength = Int(try reader.read(UInt64.self))
        if reader.remainingCount >= 8 {
            layout = try reader.read()
            analysis = try reader.read()
        } else {
            layout = 0
            analysis = 0
        }
    }

    /// Whether chunks written with this record's layout and analysis can be written to (and
    /// their postings derived again) by this build.
    var isCurrentFormat: Bool {
        layout == IndexFormat.layout && analysis == IndexFormat.analysis
    }

    /// What differs from this build's layout and analysis, for errors and the audit; nil when nothing does.
    var formatMismatch: String? {
        isCurrentFormat ? nil
            : "written with index layout \(layout) and analysis \(String(analysis, radix: 16)), this build writes "
                + "layout \(IndexFormat.layout) and analysis \(String(IndexFormat.analysis, radix: 16))"
    }

    /// The same counts with the allocator ignored: what a clean rebuild would produce.
    func sameContent(as other: IndexStatistics) -> Bool {
        chunkCount == other.chunkCount && pageCount == other.pageCount && totalTitleLength == other.totalTitleLength
            && totalHeadingLength == other.totalHeadingLength && totalBodyLength == other.totalBodyLength
    }
}
