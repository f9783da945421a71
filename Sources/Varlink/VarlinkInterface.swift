/// Handles one method: decodes `call.parameters(as:)`, may stream intermediate replies through
/// `replies` (only when `call.more`), and returns the final reply's parameters. Throwing a
/// `VarlinkError` answers with that error instead.
public typealias VarlinkMethodHandler =
    @Sendable (_ call: VarlinkCall, _ replies: VarlinkReplyStream) async throws(VarlinkError) -> VarlinkParameters

/// An interface a service implements: its name, its IDL text (served verbatim by
/// `org.varlink.service.GetInterfaceDescription`) and a handler per method.
public struct VarlinkInterface: Sendable {
    public let name: String
    public let description: String
    public let methods: [String: VarlinkMethodHandler]
    /// Method names the IDL declares, so a declared but unhandled one is `MethodNotImplemented`.
    public let declaredMethods: Set<String>

    /// `methods` maps member names (`List`) to handlers.
    public init(name: String, description: String, methods: [String: VarlinkMethodHandler]) {
        self.name = name
        self.description = description
        self.methods = methods
        self.declaredMethods = Self.methodNames(in: description)
    }

    /// The names after `method` keywords at the start of IDL lines.
    static func methodNames(in description: String) -> Set<String> {
        var names = Set<String>()
        for line in description.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.hasPrefix("method ") else { continue }
            let name = trimmed.dropFirst("method ".count).drop { $0 == " " }.prefix { $0.isLetter || $0.isNumber }
            if !name.isEmpty { names.insert(String(name)) }
        }
        return names
    }
}

/// What `org.varlink.service.GetInfo` reports.
public struct VarlinkServiceInfo: Sendable, Equatable, Codable {
    public var vendor: String
    public var product: String
    public var version: String
    public var url: String

    public init(vendor: String, product: String, version: String, url: String) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.url = url
    }
}
