import Storage

/// What a datastore's vectors are: the model and dimension they come from, how many there
/// are, and the embedding low-water mark.
///
/// Chunk ids only grow and are never reused, and the embedding stage takes chunks in id order:
/// every chunk below ``watermark`` has a vector (or is gone), so the next batch starts there
/// and a new chunk (always above every existing id) is found without a scan of the datastore.
public struct VectorState: Sendable, Equatable, StorageRecord {
    /// The embedding model's name, as configured.
    public var model: String
    /// The vectors' dimension; 0 until the first is stored.
    public var dimensions: Int
    /// Vectors stored.
    public var count: Int
    /// The lowest chunk id that may still lack a vector.
    public var watermark: UInt64

    public init(model: String, dimensions: Int = 0, count: Int = 0, watermark: UInt64 = 0) {
        self.model = model
        self.dimensions = dimensions
        self.count = count
        self.watermark = watermark
    }

    public func encode(to writer: inout ByteWriter) {
        writer.append(UInt8(1))  // record version
        writer.append(UInt32(truncatingIfNeeded: dimensions))
        writer.append(UInt64(max(0, count)))
        writer.append(watermark)
        writer.appendUTF8(model)
    }

    public init(from reader: inout ByteReader) throws(StorageError) {
        _ = try reader.read(UInt8.self)
        dimensions = Int(try reader.read(UInt32.self))
        count = Int(try reader.read(UInt64.self))
        watermark = try reader.read()
        model = String(decoding: reader.readRemainder(), as: UTF8.self)
    }
}

/// The two vector tables, beside the index's (see ``SearchTables``).
///
/// | table | key | value |
/// |---|---|---|
/// | `search.vectors` | datastore, chunk id (u64 BE) | ``QuantizedVector``: scale (Float32 bits, BE), int8 codes |
/// | `search.vector_state` | datastore | ``VectorState`` |
struct VectorTables: Sendable {
    static let vectorsName = "search.vectors"
    static let stateName = "search.vector_state"

    let vectors: Table<ChunkKey, [UInt8]>
    let state: Table<UInt64, VectorState>

    init(store: Store) throws(StorageError) {
        vectors = try store.openTable(Self.vectorsName)
        state = try store.openTable(Self.stateName)
    }
}
