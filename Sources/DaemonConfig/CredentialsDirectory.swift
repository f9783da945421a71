import Engine
import Foundation

/// systemd credentials (`LoadCredential=`, `LoadCredentialEncrypted=`): files named by the
/// credential in `$CREDENTIALS_DIRECTORY`, already decrypted by systemd.
public struct CredentialsDirectory: CredentialReader {
    public let path: String

    public init(path: String) { self.path = path }

    /// The directory systemd passed, or nil when the process has none.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> CredentialsDirectory? {
        environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : CredentialsDirectory(path: $0) }
    }

    /// The process's credentials: the directory systemd passed, or none.
    public static func current() -> any CredentialReader {
        fromEnvironment() ?? NoCredentials()
    }

    /// A credential name stays inside the directory: no `/`, not `.` or `..`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".."
    }

    public func read(_ name: String) throws(CredentialError) -> [UInt8] {
        guard Self.isValidName(name) else { throw .invalidName }
        guard let data = FileManager.default.contents(atPath: (path as NSString).appendingPathComponent(name)) else {
            throw .unreadable
        }
        return [UInt8](data)
    }
}
