/// Credit amounts are kept in integer millicredits so sums are exact and never drift.
public enum Credits {
    /// Millicredits in one credit.
    public static let scale: Int64 = 1_000

    /// Formats millicredits as credits with up to three decimals, e.g. `12.5`.
    public static func format(_ millicredits: Int64) -> String {
        let sign = millicredits < 0 ? "-" : ""
        let magnitude = millicredits.magnitude
        let whole = magnitude / UInt64(scale)
        let fraction = magnitude % UInt64(scale)
        if fraction == 0 { return "\(sign)\(whole)" }
        var decimals = String(fraction)
        decimals = String(repeating: "0", count: 3 - decimals.count) + decimals
        while decimals.hasSuffix("0") { decimals.removeLast() }
        return "\(sign)\(whole).\(decimals)"
    }

    /// Parses `12`, `12.5` or `0.125` credits into millicredits; nil when malformed or too precise.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.count), digits.allSatisfy(\.isASCII), let value = Int64(digits), value >= 0 else {
                return nil
            }
            fraction = value * Int64([1, 100, 10, 1][digits.count])
        }
        let (product, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        return product + fraction
    }
}
