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
    /// chunk starts inside one and closing a fence when it ends inside one; with the text's
    /// ``wordCount(_:)``, summed from the pieces' counts (lines are joined by a newline, a
    /// continued line by a space: no word is made or split by the joins).
    static func text(of pieces: ArraySlice<ChunkPiece>) -> (text: String, words: Int)? {
        guard let first = pieces.first, let last = pieces.last else { return nil }
        var lines: [String] = []
        var words = 0
        switch first.role {
        case .code(let open, _):
            lines.append(open)
            words += wordCount(open)
        case .tableRow(let header):
            lines += header
            words += header.reduce(0) { $0 + wordCount($1) }
        default: break
        }
        for index in pieces.indices {
            let piece = pieces[index]
            words += piece.words
            if piece.continuesLine, index > pieces.startIndex, let previous = lines.last {
                lines[lines.count - 1] = previous + " " + piece.text
            } else {
                lines.append(piece.text)
            }
        }
        switch last.role {
        case .code(_, let close), .fenceOpen(let close):
            lines.append(close)
            words += wordCount(close)
        default: break
        }
        while let line = lines.last, line.allSatisfy({ $0 == " " || $0 == ">" }) {
            words -= wordCount(line)
            lines.removeLast()
        }
        while let line = lines.first, line.allSatisfy({ $0 == " " || $0 == ">" }) {
            words -= wordCount(line)
            lines.removeFirst()
        }
        guard !lines.isEmpty else { return nil }
        return (lines.joined(separator: "\n"), words)
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
    static func split(_ line: String, maxWords: Int, preferSentences: Bool) -> [String] {
        var line = line
        // ASCII lines by byte (every long paragraph passes here); others by Character, where a
        // space followed by a combining mark is not a word boundary.
        if let parts = line.withUTF8({ bytes in
            bytes.allSatisfy({ $0 < 0x80 }) ? splitASCII(bytes, maxWords: maxWords, preferSentences: preferSentences) : nil
        }) {
            return parts
        }
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

    /// ``split(_:maxWords:preferSentences:)`` of an ASCII line: words are runs of non-space
    /// bytes, a part is its words joined by single spaces.
    private static func splitASCII(_ bytes: UnsafeBufferPointer<UInt8>, maxWords: Int, preferSentences: Bool) -> [String] {
        var parts: [String] = []
        var part: [UInt8] = []
        var words = 0
        var index = 0
        while index < bytes.count {
            guard bytes[index] != Byte.space else {
                index += 1
                continue
            }
            var end = index + 1
            while end < bytes.count, bytes[end] != Byte.space { end += 1 }
            if words > 0 { part.append(Byte.space) }
            part.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
            words += 1
            let last = bytes[end - 1]
            let endsSentence = preferSentences
                && (last == UInt8(ascii: ".") || last == UInt8(ascii: "!") || last == UInt8(ascii: "?"))
            if words >= maxWords || (endsSentence && words >= maxWords / 2) {
                parts.append(String(decoding: part, as: UTF8.self))
                part.removeAll(keepingCapacity: true)
                words = 0
            }
            index = end
        }
        if words > 0 { parts.append(String(decoding: part, as: UTF8.self)) }
        return parts
    }
}
