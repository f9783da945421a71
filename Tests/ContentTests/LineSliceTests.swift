import Testing
@testable import Content

@Suite("Rendering: line splitting by bytes")
struct LineSliceTests {
    /// Pieces that stress Character boundaries around LF: CR LF (one Character), combining
    /// marks, emoji sequences, empty lines at either end.
    static let pieces = ["\n", "\r\n", "\r", "a", "é", "e\u{301}", "👩‍👩‍👧", "\u{301}", " ", "x y", "東京", "\n\n", "|"]

    @Test("lineSlices splits exactly like split(separator: \"\\n\") on Characters")
    func matchesCharacterSplit() {
        var generator = SystemRandomNumberGenerator()
        var samples = ["", "\n", "\r\n", "a\r\nb\nc", "\n\na\n\n", "e\n\u{301}x", "no newline"]
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<12, using: &generator)
            samples.append((0..<count).map { _ in Self.pieces.randomElement(using: &generator)! }.joined())
        }
        for text in samples {
            for omitting in [true, false] {
                let expected = text.split(separator: "\n", omittingEmptySubsequences: omitting).map(String.init)
                let actual = text.lineSlices(omittingEmpty: omitting).map(String.init)
                #expect(actual == expected, "\(text.unicodeScalars.map { String($0.value, radix: 16) }) omitting: \(omitting)")
            }
        }
    }
}
