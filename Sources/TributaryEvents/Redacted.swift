import Logging

/// A secret carried through code that may print it: every textual form is `<redacted>`.
///
/// Read the secret itself with ``value`` at the one place that must send it (an HTTP header).
/// `print`, string interpolation, `dump` and log metadata all see the placeholder.
public struct Redacted<Wrapped: Sendable>: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The secret.
    public let value: Wrapped

    /// Wraps `value`.
    public init(_ value: Wrapped) {
        self.value = value
    }

    /// Always `<redacted>`.
    public var description: String { SecretRedactor.placeholder }
    /// Always `<redacted>`.
    public var debugDescription: String { SecretRedactor.placeholder }
    /// No children, so `dump` and mirrors cannot reach the value either.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension Redacted: Equatable where Wrapped: Equatable {}
extension Redacted: Hashable where Wrapped: Hashable {}

extension Logger.MetadataValue {
    /// A metadata value that always prints as `<redacted>`.
    public static var redacted: Logger.MetadataValue { .string(SecretRedactor.placeholder) }
}
