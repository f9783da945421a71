/// Reads a named secret the service manager handed the process (a systemd credential). The
/// engine asks for `token_credential` names through it; the daemon decides where they live
/// (`$CREDENTIALS_DIRECTORY`), so the engine knows no environment and no path.
public protocol CredentialReader: Sendable {
    /// The credential's bytes as given (callers trim what they need to).
    func read(_ name: String) throws(CredentialError) -> [UInt8]
}

/// Why a credential could not be read. Never carries the credential.
public enum CredentialError: Error, Sendable, Equatable {
    /// The process was given no credentials at all (no `LoadCredential=` in the unit).
    case noCredentials
    /// No such credential, or it is not readable.
    case unreadable
    /// The name is not a credential name (empty, `.`, `..` or containing `/`).
    case invalidName
}

/// No credentials: every read fails with ``CredentialError/noCredentials``.
public struct NoCredentials: CredentialReader {
    public init() {}
    public func read(_ name: String) throws(CredentialError) -> [UInt8] { throw .noCredentials }
}
