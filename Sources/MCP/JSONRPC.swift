import Foundation
import Varlink

/// A JSON-RPC 2.0 error object, with the codes MCP uses.
struct JSONRPCError: Error, Sendable, Equatable {
    var code: Int
    var message: String
    var data: JSONValue?

    static func parseError(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32700, message: "Parse error: \(detail)")
    }
    static func invalidRequest(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32600, message: "Invalid request: \(detail)")
    }
    static func methodNotFound(_ method: String) -> JSONRPCError {
        JSONRPCError(code: -32601, message: "Method not found: \(method)")
    }
    static func invalidParams(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32602, message: "Invalid params: \(detail)")
    }
    static func internalError(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32603, message: "Internal error: \(detail)")
    }
    /// 2026-07-28: an HTTP header disagrees with the body (or is malformed).
    static func headerMismatch(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: -32020, message: "Header mismatch: \(detail)")
    }
    /// 2026-07-28: the request's protocol version is not one we speak.
    static func unsupportedVersion(_ requested: String) -> JSONRPCError {
        JSONRPCError(
            code: -32022, message: "Unsupported protocol version",
            data: .object([
                "supported": .array(MCPProtocol.supportedVersions.map(JSONValue.string)),
                "requested": .string(requested),
            ]))
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["code": .integer(Int64(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}

/// One received JSON-RPC message, classified.
enum JSONRPCMessage: Sendable {
    case request(id: JSONValue, method: String, params: [String: JSONValue])
    case notification(method: String)
    /// A response from the client: there are none we wait for, so it is dropped.
    case response
    /// Not a valid message; `id` when one could be read.
    case invalid(id: JSONValue, JSONRPCError)

    init(_ value: JSONValue) {
        guard let object = value.objectValue else {
            self = .invalid(id: .null, .invalidRequest("a message is a JSON object"))
            return
        }
        let id = object["id"]
        let replyID = Self.isValidID(id) ? id ?? .null : .null
        guard object["jsonrpc"] == .string("2.0") else {
            self = .invalid(id: replyID, .invalidRequest("\"jsonrpc\" must be \"2.0\""))
            return
        }
        guard let methodValue = object["method"] else {
            if object["result"] != nil || object["error"] != nil {
                self = .response
            } else {
                self = .invalid(id: replyID, .invalidRequest("a message needs \"method\" (or \"result\"/\"error\")"))
            }
            return
        }
        guard case .string(let method) = methodValue, !method.isEmpty else {
            self = .invalid(id: replyID, .invalidRequest("\"method\" must be a non-empty string"))
            return
        }
        guard let id else {
            self = .notification(method: method)
            return
        }
        guard Self.isValidID(id) else {
            self = .invalid(id: .null, .invalidRequest("\"id\" must be a string or an integer"))
            return
        }
        switch object["params"] {
        case nil, .null?:
            self = .request(id: id, method: method, params: [:])
        case .object(let params)?:
            self = .request(id: id, method: method, params: params)
        default:
            self = .invalid(id: id, .invalidParams("\"params\" must be an object"))
        }
    }

    /// MCP request ids are strings or integers, never null.
    private static func isValidID(_ id: JSONValue?) -> Bool {
        switch id {
        case .string?, .integer?: true
        default: false
        }
    }
}

/// JSON text in and out. Keys are sorted so equal values give equal bytes.
enum JSONText {
    /// Parses a message, or says it is not JSON.
    static func parse(_ bytes: [UInt8]) -> Result<JSONValue, JSONRPCError> {
        do {
            return .success(try JSONDecoder().decode(JSONValue.self, from: Data(bytes)))
        } catch {
            return .failure(.parseError("the message is not valid JSON"))
        }
    }

    static func encode(_ value: JSONValue) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // JSONValue holds only finite numbers decoded from JSON or built here, so this cannot fail;
        // the fallback keeps the reply well-formed even so.
        guard let data = try? encoder.encode(value) else {
            return Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Internal error: unencodable reply"}}"#.utf8)
        }
        return Array(data)
    }

    static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    static func result(id: JSONValue, _ result: JSONValue) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "result": result])
    }

    static func error(id: JSONValue, _ error: JSONRPCError) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "error": error.json])
    }
}
