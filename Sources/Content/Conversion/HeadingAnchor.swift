/// Heading anchors in the style of Confluence Cloud, so that `page URL + "#" + anchor` lands on
/// the heading.
///
/// Confluence Cloud's anchor for a heading is its visible text with each space replaced by `-`,
/// case and punctuation kept (`Getting started` → `Getting-started`). We apply that rule after
/// collapsing whitespace runs and trimming. Characters are kept as Unicode: percent-encode when
/// building a URL. A repeated heading gets `.1`, `.2`… appended on its second, third… occurrence
/// (our choice; Confluence's own handling of duplicates is not documented).
public enum HeadingAnchor {
    /// The base anchor for a heading text, without duplicate numbering.
    public static func anchor(for heading: String) -> String {
        var heading = heading
        // ASCII headings (most) by byte; the rest by Character, whose whitespace is Unicode's.
        let ascii: String? = heading.withUTF8 { bytes in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var anchor: [UInt8] = []
            anchor.reserveCapacity(bytes.count)
            var pendingSeparator = false
            for byte in bytes {
                if Byte.isASCIIWhitespace(byte) {
                    pendingSeparator = !anchor.isEmpty
                } else {
                    if pendingSeparator { anchor.append(UInt8(ascii: "-")) }
                    pendingSeparator = false
                    anchor.append(byte)
                }
            }
            return String(decoding: anchor, as: UTF8.self)
        }
        return ascii ?? heading.split(whereSeparator: { $0.isWhitespace }).joined(separator: "-")
    }

    /// Assigns unique anchors to headings in page order.
    struct Allocator {
        private var used: [String: Int] = [:]

        mutating func allocate(for heading: String) -> String {
            let base = HeadingAnchor.anchor(for: heading)
            guard let count = used[base] else {
                used[base] = 0
                return base
            }
            var next = count + 1
            var candidate = "\(base).\(next)"
            while used[candidate] != nil {
                next += 1
                candidate = "\(base).\(next)"
            }
            used[base] = next
            used[candidate] = 0
            return candidate
        }
    }
}
