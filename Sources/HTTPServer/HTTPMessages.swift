/// Header fields of a request or response, in the order received; names compare case-insensitively.
public struct HTTPFields: Sendable, Equatable, Sequence {
    /// One `name: value` line.
    public struct Field: Sendable, Equatable {
        /// As sent (responses) or lower-cased (requests, so lookups are plain comparisons).
        public var name: String
        public var value: String
    }

    private var fields: [Field]

    /// Fields from (name, value) pairs, in order.
    public init(_ pairs: [(String, String)] = []) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// The first value of `name`, or nil.
    public subscript(_ name: String) -> String? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let lowered = name.lowercased()
        return fields.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    /// Adds a field after the others (a repeated name keeps both).
    public mutating func append(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}

/// One complete request, body included (the server reads it whole before calling the handler).
public struct HTTPServerRequest: Sendable {
    /// `GET`, `POST`, … as sent (methods are case-sensitive).
    public var method: String
    /// The request target as sent, e.g. `/mcp?x=1`.
    public var target: String
    /// The target up to `?`.
    public var path: String
    public var headers: HTTPFields
    public var body: [UInt8]
    /// The peer, `ADDRESS:PORT`, for logs.
    public var remoteAddress: String

    /// A request as the server hands it over; `path` is derived from `target`.
    public init(method: String, target: String, headers: HTTPFields, body: [UInt8], remoteAddress: String = "") {
        self.method = method
        self.target = target
        self.path = String(target.prefix { $0 != "?" })
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }
}

/// What a handler answers. The server adds `Content-Length`, `Date` and, when it closes the
/// connection, `Connection: close`; a handler must not set those itself.
public struct HTTPServerResponse: Sendable, Equatable {
    /// The status code; the reason phrase is the standard one.
    public var status: Int
    public var headers: HTTPFields
    public var body: [UInt8]

    /// A response with `body` sent as is (set `Content-Type` in `headers`).
    public init(status: Int, headers: HTTPFields = HTTPFields(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A short `text/plain` answer, for errors.
    public static func text(_ status: Int, _ text: String, headers: HTTPFields = HTTPFields()) -> HTTPServerResponse {
        var headers = headers
        headers.append("Content-Type", "text/plain; charset=utf-8")
        return HTTPServerResponse(status: status, headers: headers, body: Array((text + "\n").utf8))
    }

    /// The standard reason phrase of `status`.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
