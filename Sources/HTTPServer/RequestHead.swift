/// Why a request could not be read; each maps to the status the server answers before closing.
enum RequestError: Error, Equatable {
    case malformed(String)
    case headerTooLarge
    case bodyTooLarge
    case lengthRequired
    case versionNotSupported

    var status: Int {
        switch self {
        case .malformed: 400
        case .headerTooLarge: 431
        case .bodyTooLarge: 413
        case .lengthRequired: 411
        case .versionNotSupported: 505
        }
    }
}

/// A parsed request line and header block (RFC 9112), strict: CRLF line ends, token method,
/// origin-form target, no obsolete line folding, no control characters, one Content-Length.
struct RequestHead: Equatable {
    var method: String
    var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion: Int
    var headers: HTTPFields
    var contentLength: Int
    /// The client sent `Expect: 100-continue` and waits for a go-ahead before the body.
    var expectsContinue: Bool
    /// The client wants the connection kept open after the response.
    var keepAlive: Bool

    /// The offset just past the blank line ending the head in `bytes`, or nil when it has not
    /// arrived yet.
    static func end(in bytes: [UInt8], from start: Int = 0) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = max(start, 3)
        while index < bytes.count {
            if bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
                return index + 1
            }
            index += 1
        }
        return nil
    }

    /// Parses the head in `bytes` (which ends with the blank line).
    init(parsing bytes: ArraySlice<UInt8>, maxBodyBytes: Int) throws(RequestError) {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 13 {
                guard index + 1 < bytes.endIndex, bytes[index + 1] == 10 else { throw .malformed("bare CR") }
                lines.append(bytes[lineStart..<index])
                index += 2
                lineStart = index
                continue
            }
            if byte == 10 { throw .malformed("bare LF") }
            index += 1
        }
        // The block ends with an empty line; RFC 9112 lets a server ignore empty lines before
        // the request line.
        while let first = lines.first, first.isEmpty, lines.count > 1 { lines.removeFirst() }
        guard let requestLine = lines.first, !requestLine.isEmpty else { throw .malformed("no request line") }
        let parts = requestLine.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("request line is not METHOD TARGET VERSION") }
        guard !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenByte) else { throw .malformed("bad method") }
        guard parts[1].first == UInt8(ascii: "/"), parts[1].allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw .malformed("bad request target")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        switch version {
        case "HTTP/1.1": minorVersion = 1
        case "HTTP/1.0": minorVersion = 0
        default:
            if version.hasPrefix("HTTP/"), version.count == 8 { throw .versionNotSupported }
            throw .malformed("bad HTTP version")
        }
        method = String(decoding: parts[0], as: UTF8.self)
        target = String(decoding: parts[1], as: UTF8.self)

        var headers = HTTPFields()
        for line in lines.dropFirst() where !line.isEmpty {
            guard let first = line.first, first != 32, first != 9 else { throw .malformed("obsolete line folding") }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .malformed("header line without a colon") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else { throw .malformed("bad header name") }
            var value = line[(colon + 1)...]
            while let byte = value.first, byte == 32 || byte == 9 { value.removeFirst() }
            while let byte = value.last, byte == 32 || byte == 9 { value.removeLast() }
            guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else { throw .malformed("control character in a header") }
            headers.append(String(decoding: name, as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self))
        }
        self.headers = headers

        if minorVersion == 1 && headers["host"] == nil { throw .malformed("HTTP/1.1 request without Host") }
        if !headers.values("transfer-encoding").isEmpty {
            // Chunked bodies are not supported; a body we cannot frame ends the connection.
            throw .lengthRequired
        }
        let lengths = Set(headers.values("content-length").flatMap { $0.split(separator: ",") }
            .map { $0.trimmed(" \t") })
        if lengths.count > 1 { throw .malformed("conflicting Content-Length") }
        if let length = lengths.first {
            guard !length.isEmpty, length.count <= 18, length.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(length) else {
                throw .malformed("bad Content-Length")
            }
            guard value <= maxBodyBytes else { throw .bodyTooLarge }
            contentLength = value
        } else {
            contentLength = 0
        }
        let connection = headers.values("connection").flatMap { $0.lowercased().split(separator: ",") }
            .map { $0.trimmed(" \t") }
        keepAlive = minorVersion == 1 ? !connection.contains("close") : connection.contains("keep-alive")
        expectsContinue = minorVersion == 1 && headers["expect"]?.lowercased() == "100-continue"
    }

    /// RFC 9110 token characters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

extension StringProtocol {
    fileprivate func trimmed(_ set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
