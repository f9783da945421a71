/// A Varlink error reply: a fully qualified name (`org.varlink.service.MethodNotFound`) and its
/// parameters. Handlers throw it; the client receives it.
public struct VarlinkError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var parameters: [String: JSONValue]

    public init(_ name: String, parameters: [String: JSONValue] = [:]) {
        self.name = name
        self.parameters = parameters
    }

    public var description: String {
        if parameters.isEmpty { return name }
        let members = parameters.keys.sorted().map { key in "\(key): \(Self.render(parameters[key] ?? .null))" }
        return "\(name)(\(members.joined(separator: ", ")))"
    }

    private static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "\"\(text)\""
        case .integer(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        case .array, .object: "…"
        }
    }

    /// The `org.varlink.service` errors every service may answer with.
    public static let serviceInterface = "org.varlink.service"

    public static func interfaceNotFound(_ interface: String) -> VarlinkError {
        VarlinkError(serviceInterface + ".InterfaceNotFound", parameters: ["interface": .string(interface)])
    }

    public static func methodNotFound(_ method: String) -> VarlinkError {
        VarlinkError(serviceInterface + ".MethodNotFound", parameters: ["method": .string(method)])
    }

    public static func methodNotImplemented(_ method: String) -> VarlinkError {
        VarlinkError(serviceInterface + ".MethodNotImplemented", parameters: ["method": .string(method)])
    }

    public static func invalidParameter(_ parameter: String) -> VarlinkError {
        VarlinkError(serviceInterface + ".InvalidParameter", parameters: ["parameter": .string(parameter)])
    }

    public static let permissionDenied = VarlinkError(serviceInterface + ".PermissionDenied")
    public static let expectedMore = VarlinkError(serviceInterface + ".ExpectedMore")
}
