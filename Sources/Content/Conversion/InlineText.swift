/// Accumulates the text of one paragraph as UTF-8, collapsing whitespace the way a browser does:
/// runs of spaces, tabs, newlines and no-break spaces become one space, leading and trailing
/// space is dropped, and zero-width spaces vanish. Explicit line breaks survive.
struct InlineText {
    private(set) var bytes: [UInt8] = []
    private var pendingSpace = false

    var isEmpty: Bool { bytes.isEmpty }

    /// Appends source text, collapsing whitespace.
    mutating func append(collapsing text: ArraySlice<UInt8>) {
        text.withUnsafeBufferPointer { append(collapsing: $0) }
    }

    private mutating func append(collapsing text: UnsafeBufferPointer<UInt8>) {
        var index = 0
        let end = text.count
        while index < end {
            let byte = text[index]
            if Byte.isSpace(byte) {
                pendingSpace = true
                index += 1
            } else if byte == 0xC2, index + 1 < end, text[index + 1] == 0xA0 {
                pendingSpace = true  // U+00A0 no-break space
                index += 2
            } else if byte == 0xE2, index + 2 < end, text[index + 1] == 0x80, text[index + 2] == 0x8B {
                index += 3  // U+200B zero-width space
            } else {
                var runEnd = index + 1
                while runEnd < end, !Byte.isSpace(text[runEnd]), text[runEnd] != 0xC2, text[runEnd] != 0xE2 {
                    runEnd += 1
                }
                flushPendingSpace()
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[index..<runEnd]))
                index = runEnd
            }
        }
    }

    /// Appends markup the converter adds (backticks, brackets), honouring a pending space.
    mutating func append(_ string: String) {
        guard !string.isEmpty else { return }
        flushPendingSpace()
        bytes.append(contentsOf: string.utf8)
    }

    /// Appends text from an attribute or parameter, collapsing its whitespace.
    mutating func append(collapsingString string: String) {
        var string = string
        string.withUTF8 { append(collapsing: $0) }
    }

    /// Requests a space before the next text (used between adjacent inline items).
    mutating func appendSpace() { pendingSpace = true }

    /// A hard line break (`<br>`).
    mutating func appendLineBreak() {
        pendingSpace = false
        while let last = bytes.last, last == Byte.space { bytes.removeLast() }
        if !bytes.isEmpty, bytes.last != Byte.newline { bytes.append(Byte.newline) }
    }

    /// Returns the collected text, trimmed, and empties the buffer; nil when there was none.
    mutating func take() -> String? {
        pendingSpace = false
        while let last = bytes.last, last == Byte.space || last == Byte.newline { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        let string = String(decoding: bytes, as: UTF8.self)
        bytes.removeAll(keepingCapacity: true)
        return string
    }

    private mutating func flushPendingSpace() {
        if pendingSpace, let last = bytes.last, last != Byte.newline { bytes.append(Byte.space) }
        pendingSpace = false
    }
}
