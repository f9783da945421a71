/// Limits that keep conversion bounded on hostile or broken input.
public struct ConversionOptions: Sendable, Equatable {
    /// Elements nested deeper than this are dropped (their text is kept) so that no input can
    /// exhaust the stack. Default 256.
    public var maxNestingDepth: Int
    /// At most this many warnings are kept; the last one says how many were dropped. Default 100.
    public var maxWarnings: Int

    /// Creates options; the defaults suit real pages.
    public init(maxNestingDepth: Int = 256, maxWarnings: Int = 100) {
        self.maxNestingDepth = max(1, maxNestingDepth)
        self.maxWarnings = max(1, maxWarnings)
    }
}
