/// An embedding stored as int8 with one scale per vector: `value[i] ≈ scale × code[i]`.
///
/// The vector is L2-normalised before quantizing, so the dot product of two quantized vectors
/// approximates their cosine similarity (models differ in whether they normalise). A 384-dim
/// vector takes 388 bytes instead of 1,536 as Float32; ranking by the int8 dot product keeps the
/// order of the float one except between near-ties.
public struct QuantizedVector: Sendable, Equatable {
    /// `max |normalised value| / 127`; 0 for a zero vector.
    public var scale: Float
    public var codes: [Int8]

    public init(scale: Float, codes: [Int8]) {
        self.scale = scale
        self.codes = codes
    }

    /// Normalises and quantizes `values` (empty or all-zero: a zero vector of that length).
    public init(_ values: [Float]) {
        var norm: Float = 0
        for value in values { norm += value * value }
        norm = norm.squareRoot()
        var largest: Float = 0
        if norm > 0 { for value in values { largest = max(largest, abs(value / norm)) } }
        guard largest > 0, largest.isFinite else {
            self.init(scale: 0, codes: Array(repeating: 0, count: values.count))
            return
        }
        let step = largest / 127
        self.init(scale: step, codes: values.map { Int8(clamping: Int(($0 / norm / step).rounded())) })
    }

    public var dimensions: Int { codes.count }

    /// The values back (normalised, within half a step of each).
    public var values: [Float] { codes.map { Float($0) * scale } }

    /// Bytes stored: the scale (Float32 bit pattern, big-endian), then the codes.
    var storageBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + codes.count)
        withUnsafeBytes(of: scale.bitPattern.bigEndian) { bytes.append(contentsOf: $0) }
        codes.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Reads ``storageBytes``; nil when too short.
    init?(storageBytes bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 4 else { return nil }
        scale = Self.scale(of: bytes)
        codes = Array(UnsafeRawBufferPointer(rebasing: bytes[4...]).bindMemory(to: Int8.self))
    }

    static func scale(of bytes: UnsafeRawBufferPointer) -> Float {
        Float(bitPattern: UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self)))
    }

    /// The approximate cosine similarity with a stored vector's bytes (scale then codes) of
    /// the same dimension; nil when the dimensions differ.
    func similarity(stored bytes: UnsafeRawBufferPointer) -> Float? {
        codes.withUnsafeBufferPointer { query in Self.similarity(query: query, scale: scale, stored: bytes) }
    }

    /// ``similarity(stored:)`` with the query's codes already in hand (the k-NN scan's loop).
    @inline(__always)
    static func similarity(query: UnsafeBufferPointer<Int8>, scale: Float, stored bytes: UnsafeRawBufferPointer) -> Float? {
        guard bytes.count == 4 + query.count else { return nil }
        let storedScale = Self.scale(of: bytes)
        let codes = UnsafeRawBufferPointer(rebasing: bytes[4...]).assumingMemoryBound(to: Int8.self)
        return Float(dot(query, codes)) * scale * storedScale
    }

    /// The int8 dot product, accumulated in Int32 (384 × 127² fits many times over). A plain
    /// loop with wrapping arithmetic, which the optimiser vectorises.
    @inline(__always)
    static func dot(_ lhs: UnsafeBufferPointer<Int8>, _ rhs: UnsafeBufferPointer<Int8>) -> Int32 {
        var total: Int32 = 0
        for index in 0..<min(lhs.count, rhs.count) {
            total &+= Int32(lhs[index]) &* Int32(rhs[index])
        }
        return total
    }
}
