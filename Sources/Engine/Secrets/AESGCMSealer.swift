/// Seals secrets with AES-256-GCM under a 32-byte key (the daemon reads it from a systemd
/// credential): a fresh random 96-bit nonce per secret, the datastore id as associated data,
/// and the versioned header of ``SealedSecretFormat``. Plaintext stored before a key was
/// configured still opens, so start-up can re-seal it.
public struct AESGCMSealer: SecretSealer {
    private let key: [UInt8]

    /// Fails unless `key` is exactly 32 bytes.
    public init(key: [UInt8]) throws(SecretSealingError) {
        guard key.count == SealedSecretFormat.keyLength else {
            throw .crypto("the key must be \(SealedSecretFormat.keyLength) bytes, not \(key.count)")
        }
        self.key = key
    }

    public func seal(_ secret: String, datastore: UInt64) throws(SecretSealingError) -> [UInt8] {
        do {
            let nonce = try AESGCM.randomBytes(SealedSecretFormat.nonceLength)
            let (ciphertext, tag) = try AESGCM.seal(Array(secret.utf8), key: key, nonce: nonce,
                                                   associatedData: SealedSecretFormat.associatedData(datastore: datastore))
            return SealedSecretFormat.header + nonce + ciphertext + tag
        } catch {
            throw Self.sealingError(error)
        }
    }

    public func open(_ stored: [UInt8], datastore: UInt64) throws(SecretSealingError) -> String {
        guard SealedSecretFormat.hasHeader(stored) else { return String(decoding: stored, as: UTF8.self) }
        let header = SealedSecretFormat.header
        let minimum = header.count + SealedSecretFormat.nonceLength + SealedSecretFormat.tagLength
        // Another version, or cut short: nothing this sealer can open.
        guard stored.count >= minimum, stored[header.count - 1] == SealedSecretFormat.version else { throw .wrongKeyOrDamaged }
        let nonceEnd = header.count + SealedSecretFormat.nonceLength
        let tagStart = stored.count - SealedSecretFormat.tagLength
        do {
            let plaintext = try AESGCM.open(
                Array(stored[nonceEnd..<tagStart]), tag: Array(stored[tagStart...]), key: key,
                nonce: Array(stored[header.count..<nonceEnd]), associatedData: SealedSecretFormat.associatedData(datastore: datastore))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw Self.sealingError(error)
        }
    }

    public func isSealed(_ stored: [UInt8]) -> Bool {
        SealedSecretFormat.hasHeader(stored)
    }

    private static func sealingError(_ failure: AESGCM.Failure) -> SecretSealingError {
        switch failure {
        case .authentication: .wrongKeyOrDamaged
        case .library(let call): .crypto("OpenSSL: \(call) failed")
        }
    }
}
