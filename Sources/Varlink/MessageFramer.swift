/// Splits a byte stream into Varlink messages: each is one JSON document ended by a NUL byte.
/// Bytes may arrive in any split; a message longer than `maxMessageBytes` (NUL excluded) is a
/// protocol violation, reported as soon as the buffered prefix exceeds the limit.
public struct MessageFramer: Sendable {
    /// Why the stream cannot be framed any further.
    public enum Failure: Error, Equatable, Sendable {
        case messageTooLarge(limit: Int)
    }

    /// The largest message accepted, NUL excluded.
    public let maxMessageBytes: Int
    private var buffer: [UInt8] = []
    /// Where the NUL search resumes: the bytes before it are known to hold none.
    private var scanned = 0

    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes of an unfinished message held back.
    public var bufferedBytes: Int { buffer.count }

    /// Appends `bytes` and returns the messages they complete, without their NUL terminators.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(Failure) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var messages: [[UInt8]] = []
        var start = 0
        var index = start + scanned
        while index < buffer.count {
            if buffer[index] == 0 {
                if index - start > maxMessageBytes { throw .messageTooLarge(limit: maxMessageBytes) }
                messages.append(Array(buffer[start..<index]))
                start = index + 1
            }
            index += 1
        }
        if start > 0 { buffer.removeFirst(start) }
        scanned = buffer.count
        if buffer.count > maxMessageBytes { throw .messageTooLarge(limit: maxMessageBytes) }
        return messages
    }
}
