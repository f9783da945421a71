import Engine

/// The key that seals stored secrets, read from the systemd credential `secrets_key_credential`
/// names: 32 bytes, given raw (`head -c 32 /dev/urandom`) or as 64 hexadecimal digits
/// (`openssl rand -hex 32`), and typically encrypted with `systemd-creds encrypt` so that only
/// this host (its TPM2 or host key) can decrypt it.
public enum SecretsKey {
    /// A sealer keyed by the credential `name`.
    public static func sealer(credential name: String, from credentials: any CredentialReader) throws(SecretsKeyError) -> AESGCMSealer {
        let bytes: [UInt8]
        do {
            bytes = try credentials.read(name)
        } catch {
            switch error {
            case .noCredentials: throw .noCredentials(name: name)
            case .unreadable, .invalidName: throw .unreadable(name: name)
            }
        }
        guard let key = key(from: bytes) else { throw .malformed(name: name, length: bytes.count) }
        do {
            return try AESGCMSealer(key: key)
        } catch {
            throw .malformed(name: name, length: bytes.count)
        }
    }

    /// 32 raw bytes, or 64 hex digits with surrounding white space.
    static func key(from bytes: [UInt8]) -> [UInt8]? {
        if bytes.count == 32 { return bytes }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let trimmed = bytes.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        guard trimmed.count == 64 else { return nil }
        var key: [UInt8] = []
        key.reserveCapacity(32)
        var digits = trimmed.makeIterator()
        while let high = digits.next(), let low = digits.next() {
            guard let h = hexValue(high), let l = hexValue(low) else { return nil }
            key.append(h << 4 | l)
        }
        return key
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }
}

/// Why the secrets key could not be loaded. Never carries key material.
public enum SecretsKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case noCredentials(name: String)
    case unreadable(name: String)
    case malformed(name: String, length: Int)

    public var description: String {
        switch self {
        case .noCredentials(let name):
            "secrets_key_credential = \(name), but the daemon has no $CREDENTIALS_DIRECTORY (add LoadCredentialEncrypted=\(name):… to the unit)"
        case .unreadable(let name):
            "cannot read the systemd credential \(name) named by secrets_key_credential (missing or not readable by the daemon)"
        case .malformed(let name, let length):
            "the systemd credential \(name) holds \(length) bytes; the secrets key must be 32 random bytes or 64 hexadecimal digits"
        }
    }
}
