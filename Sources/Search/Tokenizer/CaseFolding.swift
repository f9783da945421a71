import Foundation

/// Case and diacritic folding of single scalars into UTF-8 bytes: `É` → `e`, `ß` → `ss`,
/// full-width `Ａ` → `a`, `ø` → `o`.
///
/// ASCII is folded inline by the tokenizer. Other scalars go through Foundation once each and
/// are then served from this per-tokenizer cache, so the hot path never calls Foundation for
/// a scalar it has seen. Not thread-safe: owned by one ``Tokenizer``.
struct CaseFolding {
    private var cache: [UInt32: [UInt8]] = [:]

    /// Letters that Unicode does not decompose but readers treat as their base letter.
    private static let extra: [UInt32: String] = [
        0x00F8: "o", 0x0142: "l", 0x0111: "d", 0x0127: "h", 0x00E6: "ae", 0x0153: "oe", 0x0131: "i",
        0x00F0: "d", 0x00FE: "th",
    ]

    /// The folded form of a non-ASCII `scalar`, as UTF-8.
    @inline(__always)
    mutating func folded(_ scalar: UInt32) -> [UInt8] {
        if let folded = cache[scalar] { return folded }
        let folded = Self.fold(scalar)
        if cache.count < 65_536 { cache[scalar] = folded }
        return folded
    }

    private static func fold(_ value: UInt32) -> [UInt8] {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        let lowered = String(Character(scalar)).lowercased()
            .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        var bytes: [UInt8] = []
        for piece in lowered.unicodeScalars {
            if let replacement = extra[piece.value] {
                bytes.append(contentsOf: replacement.utf8)
            } else if ScalarKind.of(piece.value) != .diacritic {
                bytes.append(contentsOf: String(piece).utf8)
            }
        }
        return bytes
    }
}
