import Foundation
import StreamingJSON

/// Who is on the other end of a connection, as the kernel recorded it at `connect()`
/// (`SO_PEERCRED`, `SO_PEERGROUPS`).
public struct VarlinkPeer: Sendable, Equatable {
    public var processID: Int32
    public var userID: UInt32
    public var groupID: UInt32
    /// The peer process's supplementary groups at connect time.
    public var supplementaryGroups: [UInt32]

    public init(processID: Int32, userID: UInt32, groupID: UInt32, supplementaryGroups: [UInt32]) {
        self.processID = processID
        self.userID = userID
        self.groupID = groupID
        self.supplementaryGroups = supplementaryGroups
    }
}

/// One method call as a handler sees it.
public struct VarlinkCall: Sendable {
    /// The fully qualified method name, `interface.Method`.
    public let method: String
    /// The client asked for a stream of replies (`more`).
    public let more: Bool
    /// The client wants no reply (`oneway`).
    public let oneway: Bool
    public let peer: VarlinkPeer
    /// The whole message; `parameters(as:)` decodes its `parameters` member.
    let message: [UInt8]

    init(method: String, more: Bool, oneway: Bool, peer: VarlinkPeer, message: [UInt8]) {
        self.method = method
        self.more = more
        self.oneway = oneway
        self.peer = peer
        self.message = message
    }

    /// Decodes the call's parameters (absent parameters decode as `{}`). A missing member or a
    /// value of the wrong type is `org.varlink.service.InvalidParameter` naming the member.
    public func parameters<T: Decodable>(as type: T.Type = T.self) throws(VarlinkError) -> T {
        do {
            let envelope = try JSONDecoder().decode(ParametersEnvelope<T>.self, from: Data(message))
            if let parameters = envelope.parameters { return parameters }
            return try JSONDecoder().decode(T.self, from: Data("{}".utf8))
        } catch let error as DecodingError {
            throw .invalidParameter(Self.parameterName(error))
        } catch {
            throw .invalidParameter("parameters")
        }
    }

    /// The dotted path of the member a decoding error is about (`config.spaces[2]`).
    static func parameterName(_ error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default: path = []
        }
        var keys = path[...]
        if keys.first?.stringValue == "parameters" { keys = keys.dropFirst() }
        var name = ""
        for key in keys {
            if let index = key.intValue {
                name += "[\(index)]"
            } else {
                name += name.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return name.isEmpty ? "parameters" : name
    }
}

/// Reads only the `parameters` member of a call or a reply.
struct ParametersEnvelope<T: Decodable>: Decodable {
    let parameters: T?

    enum CodingKeys: String, CodingKey { case parameters }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        parameters = try container.decodeIfPresent(T.self, forKey: .parameters)
    }
}

/// A reply's parameters, already encoded as a JSON object.
public struct VarlinkParameters: Sendable, Equatable {
    public let json: [UInt8]

    /// Encodes `value`, which must encode as a JSON object (a struct or a dictionary).
    public init(encoding value: some Encodable) throws(EncodingError) {
        json = try StreamingJSONEncoder.encode(value)
        guard json.first == UInt8(ascii: "{") else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "parameters must be an object"))
        }
    }

    /// `{}`: a reply with no parameters.
    public static let empty = VarlinkParameters(rawJSON: Array("{}".utf8))

    init(rawJSON: [UInt8]) {
        json = rawJSON
    }

    /// The parameters as a `JSONValue` (for inspection and tests).
    public var value: JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(json))) ?? .object([:])
    }
}

/// Streams the intermediate replies of a `more` call (`continues: true`); the handler's return
/// value is the final reply.
public struct VarlinkReplyStream: Sendable {
    let more: Bool
    let emit: @Sendable ([UInt8]) -> Void

    init(more: Bool, emit: @escaping @Sendable ([UInt8]) -> Void) {
        self.more = more
        self.emit = emit
    }

    /// Sends one reply with `continues: true`; only valid when the client asked for `more`.
    public func yield(_ parameters: VarlinkParameters) throws(VarlinkError) {
        guard more else { throw .expectedMore }
        emit(ReplyEncoding.reply(parameters, continues: true))
    }
}

/// Builds reply messages from pre-encoded parameters, NUL included.
enum ReplyEncoding {
    static func reply(_ parameters: VarlinkParameters, continues: Bool) -> [UInt8] {
        var bytes = Array((continues ? #"{"continues":true,"parameters":"# : #"{"parameters":"#).utf8)
        bytes.append(contentsOf: parameters.json)
        bytes.append(UInt8(ascii: "}"))
        bytes.append(0)
        return bytes
    }

    static func error(_ error: VarlinkError) -> [UInt8] {
        struct ErrorReply: Encodable {
            let error: String
            let parameters: [String: JSONValue]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Encoding strings and JSON values cannot fail; the fallback keeps the reply well-formed anyway.
        var bytes = (try? Array(encoder.encode(ErrorReply(error: error.name, parameters: error.parameters))))
            ?? Array(#"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"parameters"}}"#.utf8)
        bytes.append(0)
        return bytes
    }
}
