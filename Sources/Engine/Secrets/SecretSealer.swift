/// Seals the secrets the engine stores (API tokens) before they reach LMDB and opens them when a
/// job needs them. ``PlaintextSecrets`` keeps today's behaviour (the store file is mode 0600);
/// the daemon passes a sealer keyed by a systemd credential when one is configured
/// (``AESGCMSealer``).
///
/// `datastore` is the id the secret belongs to: a sealer binds it to the sealed bytes, so a
/// sealed token copied onto another datastore's row does not open.
public protocol SecretSealer: Sendable {
    /// The bytes to store for `secret`.
    func seal(_ secret: String, datastore: UInt64) throws(SecretSealingError) -> [UInt8]
    /// The secret behind stored bytes (sealed by this sealer, or plaintext from before sealing
    /// was configured: implementations tell them apart and accept both).
    func open(_ stored: [UInt8], datastore: UInt64) throws(SecretSealingError) -> String
    /// Whether `stored` is already sealed by this sealer (start-up re-seals the rest).
    func isSealed(_ stored: [UInt8]) -> Bool
}

/// Why a stored secret could not be sealed or opened. Never carries the secret.
public enum SecretSealingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Sealed with another key (or damaged): the key credential changed or the store was copied.
    case wrongKeyOrDamaged
    /// Sealed, but no key is configured to open it.
    case noKey
    /// The cryptographic library failed.
    case crypto(String)

    public var description: String {
        switch self {
        case .wrongKeyOrDamaged:
            "a stored secret cannot be opened with the configured key (the key changed, or the store was copied from another host); set the token again with tributaryctl update --token-file"
        case .noKey:
            "stored secrets are sealed but no key is configured (secrets_key_credential); restore the key credential or set the token again"
        case .crypto(let detail):
            "sealing failed: \(detail)"
        }
    }
}

/// Stores secrets as they are (UTF-8), as before sealing existed. Sealed bytes (a key was
/// configured once and is gone) are refused with ``SecretSealingError/noKey``, never passed on
/// to Confluence as a token.
public struct PlaintextSecrets: SecretSealer {
    public init() {}
    public func seal(_ secret: String, datastore: UInt64) throws(SecretSealingError) -> [UInt8] { Array(secret.utf8) }
    public func open(_ stored: [UInt8], datastore: UInt64) throws(SecretSealingError) -> String {
        if SealedSecretFormat.hasHeader(stored) { throw .noKey }
        return String(decoding: stored, as: UTF8.self)
    }
    public func isSealed(_ stored: [UInt8]) -> Bool { false }
}
