import Glibc

/// A failure reported by libsystemd or the socket calls around it, with the errno it carried.
public struct SystemdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being done, in words.
    public var operation: String
    /// The positive errno value.
    public var code: Int32

    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    public var description: String {
        "\(operation) failed: \(String(cString: strerror(code)))"
    }
}
