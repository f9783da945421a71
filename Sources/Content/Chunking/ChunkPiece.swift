/// The unit the chunker packs: a rendered line, or part of a long line.
struct ChunkPiece {
    var text: String
    var role: RenderedLine.Role
    var words: Int
    /// True when this piece continues the previous piece's line (a sentence of a long paragraph).
    var continuesLine: Bool
    /// On the first line of a code block or table: the words of the whole block, so packing can
    /// keep it whole.
    var groupWords: Int?

    /// Splits rendered lines into pieces: prose lines longer than `maxProseWords` at sentence
    /// ends, any line longer than `maxLineWords` between words.
    static func pieces(of lines: [RenderedLine], maxProseWords: Int, maxLineWords: Int) -> [ChunkPiece] {
        var pieces: [ChunkPiece] = []
        pieces.reserveCapacity(lines.count)
        var openFence: Int?
        var tableStart: Int?
        for line in lines {
            if case .tableRow(let header) = line.role {
                // A table's header and separator lines precede its first body row.
                if tableStart == nil, pieces.count >= 2, pieces[pieces.count - 2].text == header.first {
                    tableStart = pieces.count - 2
                }
            } else if let start = tableStart {
                pieces[start].groupWords = pieces[start...].reduce(0) { $0 + $1.words }
                tableStart = nil
            }
            let words = wordCount(line.text)
            let limit: Int = switch line.role {
            case .text: maxProseWords
            default: maxLineWords
            }
            if words > limit {
                for (offset, part) in split(line.text, maxWords: limit, preferSentences: line.role == .text).enumerated() {
                    pieces.append(ChunkPiece(text: part, role: line.role, words: wordCount(part),
                                             continuesLine: offset > 0, groupWords: nil))
                }
            } else {
                pieces.append(ChunkPiece(text: line.text, role: line.role, words: words, continuesLine: false,
                                         groupWords: nil))
            }
            switch line.role {
            case .fenceOpen:
                openFence = pieces.count - 1
            case .fenceClose:
                if let open = openFence {
                    pieces[open].groupWords = pieces[open...].reduce(0) { $0 + $1.words }
                }
                openFence = nil
            default:
                break
            }
        }
        if let start = tableStart { pieces[start].groupWords = pieces[start...].reduce(0) { $0 + $1.words } }
        return pieces
    }

    /// Joins pieces into chunk text, re-opening a code fence or repeating a table header when the
    /// chunk starts inside one and closing a fence when it ends inside one.
    static func text(of pieces: ArraySlice<ChunkPiece>) -> String? {
        guard let first = pieces.first, let last = pieces.last else { return nil }
        var lines: [String] = []
        switch first.role {
        case .code(let open, _): lines.append(open)
        case .tableRow(let header): lines += header
        default: break
        }
        for index in pieces.indices {
            let piece = pieces[index]
            if piece.continuesLine, index > pieces.startIndex, let previous = lines.last {
                lines[lines.count - 1] = previous + " " + piece.text
            } else {
                lines.append(piece.text)
            }
        }
        switch last.role {
        case .code(_, let close), .fenceOpen(let close): lines.append(close)
        default: break
        }
        while let line = lines.last, line.allSatisfy({ $0 == " " || $0 == ">" }) { lines.removeLast() }
        while let line = lines.first, line.allSatisfy({ $0 == " " || $0 == ">" }) { lines.removeFirst() }
        guard !lines.isEmpty else { return nil }
        return lines.joined(separator: "\n")
    }

    /// Whitespace-separated words in `text`.
    static func wordCount(_ text: String) -> Int {
        // Over the contiguous UTF-8 (a hot loop: every line, piece and chunk is counted).
        var text = text
        return text.withUTF8 { bytes in
            var count = 0
            var inWord = false
            for byte in bytes {
                let isSpace = Byte.isSpace(byte)
                if !isSpace, !inWord { count += 1 }
                inWord = !isSpace
            }
            return count
        }
    }

    /// Cuts a long line into parts of at most `maxWords` words, at sentence ends when possible.
    private static func split(_ line: String, maxWords: Int, preferSentences: Bool) -> [String] {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        var parts: [String] = []
        var current: [Substring] = []
        for word in words {
            current.append(word)
            let endsSentence = preferSentences && (word.last == "." || word.last == "!" || word.last == "?")
            if current.count >= maxWords || (endsSentence && current.count >= maxWords / 2) {
                parts.append(current.joined(separator: " "))
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { parts.append(current.joined(separator: " ")) }
        return parts
    }
}
