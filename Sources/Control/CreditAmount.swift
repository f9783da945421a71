/// Credits as people write them (up to three decimals) and millicredits as the wire carries them.
public enum CreditAmount {
    /// `12500` → `"12.5"`, `-3` → `"-0.003"`, `7000` → `"7"`.
    public static func format(_ millicredits: Int64) -> String {
        let sign = millicredits < 0 ? "-" : ""
        let magnitude = millicredits.magnitude
        let whole = magnitude / 1000
        var fraction = String(magnitude % 1000)
        if fraction == "0" { return sign + String(whole) }
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(whole).\(fraction)"
    }

    /// `"12.5"` → `12500`; nil for anything but a non-negative decimal with at most three
    /// fraction digits that fits in millicredits. Exact: no floating point involved.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.allSatisfy(\.isASCII), wholeText.allSatisfy(\.isNumber),
              let whole = Int64(wholeText) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  let value = Int64(digits) else { return nil }
            fraction = value * [100, 10, 1][digits.count - 1]
        }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return nil }
        let (total, overflowAdding) = scaled.addingReportingOverflow(fraction)
        return overflowAdding ? nil : total
    }
}
