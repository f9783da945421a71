/// A closed range of accepted values with the unit people read it in; messages name it.
public struct InputRange<Bound: Comparable & Sendable>: Sendable {
    public let bounds: ClosedRange<Bound>
    /// "seconds", "requests per second", "millicredits".
    public let unit: String
    private let show: @Sendable (Bound) -> String

    public init(_ bounds: ClosedRange<Bound>, unit: String, show: @escaping @Sendable (Bound) -> String) {
        self.bounds = bounds
        self.unit = unit
        self.show = show
    }

    public var lowerBound: Bound { bounds.lowerBound }
    public var upperBound: Bound { bounds.upperBound }

    /// Whether `value` is accepted (NaN never is: it compares false with everything).
    public func contains(_ value: Bound) -> Bool { bounds.contains(value) }

    /// The nearest accepted value; anything that is not comparable (NaN) becomes the lower bound.
    public func clamped(_ value: Bound) -> Bound {
        if value > bounds.upperBound { return bounds.upperBound }
        if value >= bounds.lowerBound { return value }
        return bounds.lowerBound
    }

    /// "from 60 to 31536000 seconds".
    public var limits: String { "from \(show(bounds.lowerBound)) to \(show(bounds.upperBound)) \(unit)" }

    /// A bound or a value as the messages write it.
    public func text(_ value: Bound) -> String { show(value) }
}

extension InputRange where Bound: BinaryInteger {
    public init(_ bounds: ClosedRange<Bound>, unit: String) {
        self.init(bounds, unit: unit, show: { String($0) })
    }
}

extension InputRange where Bound == Double {
    /// Whole numbers without a trailing `.0`: `0.01`, `1000`.
    public init(_ bounds: ClosedRange<Double>, unit: String) {
        self.init(bounds, unit: unit, show: { value in
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        })
    }
}

extension InputRange where Bound == Int64 {
    /// A millicredit range in credits, for settings written in credits (`initial_credits = 100`).
    public var inCredits: ClosedRange<Double> { Double(lowerBound) / 1_000...Double(upperBound) / 1_000 }
}

/// `Int64` arithmetic that stops at the type's bounds instead of trapping: for sums of values
/// that are each in range but whose totals are not bounded (balances, spending, deadlines).
public enum Saturating {
    public static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : result
    }

    public static func subtract(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b < 0 ? .max : .min) : result
    }

    public static func multiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? ((a < 0) == (b < 0) ? .max : .min) : result
    }
}
