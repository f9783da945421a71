/// Minimal UTF-8 decoding over a buffer that is known to be valid (Swift strings always are).
enum UTF8Decoding {
    /// The scalar starting at `index` and its encoded length in bytes.
    @inline(__always)
    static func scalar(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        // Guard against a truncated tail anyway: a broken sequence becomes one separator byte.
        if lead < 0xE0 {
            guard index + 1 < bytes.count else { return (0x20, 1) }
            return ((UInt32(lead & 0x1F) << 6) | UInt32(bytes[index + 1] & 0x3F), 2)
        }
        if lead < 0xF0 {
            guard index + 2 < bytes.count else { return (0x20, 1) }
            return ((UInt32(lead & 0x0F) << 12) | (UInt32(bytes[index + 1] & 0x3F) << 6)
                | UInt32(bytes[index + 2] & 0x3F), 3)
        }
        guard index + 3 < bytes.count else { return (0x20, 1) }
        return ((UInt32(lead & 0x07) << 18) | (UInt32(bytes[index + 1] & 0x3F) << 12)
            | (UInt32(bytes[index + 2] & 0x3F) << 6) | UInt32(bytes[index + 3] & 0x3F), 4)
    }
}
