/// Picks and formats the best-matching window of a chunk's text.
enum Snippet {
    /// - Parameters:
    ///   - occurrences: the terms of `text` in order (vocabulary ids of the query's tokenizer).
    ///   - weights: query term id → weight (idf); words whose term is absent are not marked.
    ///   - words: window size in tokens.
    static func make(
        text: String, occurrences tokens: [TermOccurrence], weights: [Int32: Double], words: Int, open: String,
        close: String
    ) -> String {
        guard !tokens.isEmpty else { return collapse(Array(text.utf8.prefix(240))[...]) }
        let matched = tokens.indices.filter { weights[tokens[$0].id] != nil }
        let start = bestStart(tokens: tokens, matched: matched, weights: weights, words: words)
        let end = min(tokens.count, start + words)
        let bytes = Array(text.utf8)
        var output = start > 0 ? "… " : ""
        var cursor = tokens[start].byteRange.lowerBound
        for index in start..<end {
            let range = tokens[index].byteRange
            output += collapse(bytes[cursor..<range.lowerBound])
            let word = String(decoding: bytes[range], as: UTF8.self)
            output += weights[tokens[index].id] != nil ? open + word + close : word
            cursor = range.upperBound
        }
        // Keep closing punctuation right after the last word ("end." rather than "end").
        var tail = cursor
        while tail < bytes.count, tail - cursor < 2, bytes[tail] == UInt8(ascii: ".") || bytes[tail] == UInt8(ascii: ")")
            || bytes[tail] == UInt8(ascii: "?") || bytes[tail] == UInt8(ascii: "!") { tail += 1 }
        output += String(decoding: bytes[cursor..<tail], as: UTF8.self)
        if end < tokens.count { output += " …" }
        return output
    }

    /// The window start that covers the most query weight: each distinct term counts its
    /// weight once, repeats add a tenth. The window begins a few words before its first match
    /// so the match is read in context.
    private static func bestStart(tokens: [TermOccurrence], matched: [Int], weights: [Int32: Double], words: Int) -> Int {
        guard !matched.isEmpty else { return 0 }
        let lead = min(4, words / 4)
        var best = (score: -1.0, start: 0)
        for (offset, first) in matched.enumerated().prefix(256) {
            let start = max(0, first - lead)
            var seen: Set<Int32> = []
            var score = 0.0
            for index in matched[offset...].prefix(words) {
                guard index < start + words else { break }
                let term = tokens[index].id
                let weight = weights[term] ?? 0
                score += seen.insert(term).inserted ? weight : weight / 10
            }
            if score > best.score { best = (score, start) }
        }
        return best.start
    }

    /// Bytes with every run of whitespace turned into one space.
    private static func collapse(_ bytes: ArraySlice<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var inSpace = false
        for byte in bytes {
            if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D {
                if !inSpace { output.append(0x20) }
                inSpace = true
            } else {
                output.append(byte)
                inSpace = false
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
