/// The layout of a sealed secret: a 4-byte versioned header, the 96-bit nonce, the ciphertext
/// and the 128-bit GCM tag.
///
///     00 'T' 'S' 01 | nonce (12) | ciphertext (n) | tag (16)
///
/// A token is text: its first byte is never 0x00, so plaintext stored before sealing was
/// configured never reads as sealed. The header is authenticated with the datastore id.
enum SealedSecretFormat {
    static let magic: [UInt8] = [0x00, 0x54, 0x53]
    static let version: UInt8 = 1
    static var header: [UInt8] { magic + [version] }
    static let nonceLength = 12
    static let tagLength = 16
    static let keyLength = 32

    /// Starts with the magic bytes (any version).
    static func hasHeader(_ bytes: [UInt8]) -> Bool {
        bytes.count >= magic.count + 1 && Array(bytes.prefix(magic.count)) == magic
    }

    /// The associated data: the header and the datastore id (big-endian), so neither the version
    /// nor the owner of sealed bytes can be changed without the tag failing.
    static func associatedData(datastore: UInt64) -> [UInt8] {
        header + withUnsafeBytes(of: datastore.bigEndian, Array.init)
    }
}
