import Foundation

/// One-byte body lengths for the postings (in the manner of Lucene's norms): lengths below 32
/// are exact, longer ones are geometric with 3.5% steps up to about 68,000 tokens. BM25's
/// length normalisation needs no more precision, and it lets ranking skip chunk lookups.
enum LengthCode {
    private static let exact = 32
    private static let ratio = 1.035

    /// The code for a body of `length` tokens.
    static func encode(_ length: Int) -> UInt8 {
        if length < exact { return UInt8(max(0, length)) }
        let steps = Int((log(Double(length) / Double(exact)) / log(ratio)).rounded(.down))
        return UInt8(min(255, exact + steps))
    }

    /// The representative length of each code.
    static let lengths: [Double] = (0..<256).map { code in
        code < exact ? Double(code) : Double(exact) * pow(ratio, Double(code - exact))
    }
}
