/// An incremental parser of server-sent events (the WHATWG `text/event-stream` format), fed the
/// body in whatever pieces the network delivers: lines may be split anywhere, even inside a
/// UTF-8 sequence or between the CR and LF of a line break.
///
/// Only what chat-completion streams use is kept: each event's `data` (several `data:` lines
/// joined by newlines) and its `event` name. Comments (`:` lines), `id:` and `retry:` are read
/// and dropped. One line may be at most `maxLineBytes` long, so a server cannot grow memory
/// without bound.
public struct SSEParser: Sendable {
    /// One dispatched event.
    public struct Event: Sendable, Equatable {
        public var name: String?
        public var data: String

        public init(name: String? = nil, data: String) {
            self.name = name
            self.data = data
        }
    }

    /// A line longer than the limit.
    public struct LineTooLong: Error, Sendable, Equatable {
        public var limit: Int
    }

    public let maxLineBytes: Int
    private var line: [UInt8] = []
    /// The previous byte was a CR: an LF right after it belongs to the same line break.
    private var afterCR = false
    private var data: [String] = []
    private var name: String?

    public init(maxLineBytes: Int = 1 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Parses `bytes` and returns the events they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(LineTooLong) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0D:
                afterCR = true
                if let event = endLine() { events.append(event) }
            case 0x0A:
                if let event = endLine() { events.append(event) }
            default:
                guard line.count < maxLineBytes else { throw LineTooLong(limit: maxLineBytes) }
                line.append(byte)
            }
        }
        return events
    }

    /// The event still being read when the stream ended without its blank line, if any.
    public mutating func finish() -> Event? {
        if !line.isEmpty { _ = endLine() }
        return dispatch()
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }  // a comment (keep-alive)
        let text = String(decoding: line, as: UTF8.self)
        var field = Substring(text)
        var value: Substring = ""
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        }
        switch field {
        case "data": data.append(String(value))
        case "event": name = String(value)
        default: break  // id, retry and unknown fields
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        defer {
            data.removeAll()
            name = nil
        }
        guard !data.isEmpty else { return nil }
        return Event(name: name, data: data.joined(separator: "\n"))
    }
}
