/// How the tokenizer treats one Unicode scalar.
enum ScalarKind: UInt8 {
    /// Ends a token (space, punctuation, symbols).
    case separator
    /// Part of a word: letters, digits, and marks of scripts other than Latin/Greek/Cyrillic.
    case word
    /// A Han ideograph or kana: a token by itself (those scripts put no spaces between words).
    case ideograph
    /// A combining diacritic (U+0300–036F and friends): dropped, so `e` + U+0301 folds to `e`.
    case diacritic

    /// ASCII is decided by two comparisons; only the rest consults Unicode properties.
    @inline(__always)
    static func of(_ value: UInt32) -> ScalarKind {
        if value < 0x80 {
            let lowered = value | 0x20
            return (value &- 0x30 < 10) || (lowered &- 0x61 < 26) ? .word : .separator
        }
        return nonASCII(value)
    }

    private static func nonASCII(_ value: UInt32) -> ScalarKind {
        switch value {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F:
            return .diacritic
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF,
             0xFF66...0xFF9F, 0x20000...0x2FFFF:
            return .ideograph
        case 0x00A0, 0x2000...0x206F, 0x3000...0x303F, 0xFEFF:
            // Spaces, general punctuation (dashes, quotes, ellipsis), CJK punctuation.
            return .separator
        default:
            break
        }
        guard let scalar = Unicode.Scalar(value) else { return .separator }
        let properties = scalar.properties
        if properties.isAlphabetic { return .word }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return .word
        default:
            return .separator
        }
    }
}

/// Kinds of non-ASCII scalars met before, direct-mapped: a Unicode property lookup costs more
/// than scanning a word, and texts repeat the few symbols and letters they use. Owned by one
/// scanner.
struct ScalarKindCache {
    /// Per slot: scalar << 8 | kind + 1, or 0 when empty. Allocated on the first non-ASCII scalar.
    private var entries: [UInt64] = []

    @inline(__always)
    mutating func kind(of value: UInt32) -> ScalarKind {
        if value < 0x80 { return ScalarKind.of(value) }
        return nonASCII(value)
    }

    private mutating func nonASCII(_ value: UInt32) -> ScalarKind {
        if entries.isEmpty { entries = [UInt64](repeating: 0, count: 1_024) }
        let slot = Int(value & 1_023)
        let entry = entries[slot]
        if entry >> 8 == UInt64(value), let kind = ScalarKind(rawValue: UInt8(truncatingIfNeeded: entry) &- 1) {
            return kind
        }
        let kind = ScalarKind.of(value)
        entries[slot] = UInt64(value) << 8 | UInt64(kind.rawValue + 1)
        return kind
    }
}
