import Foundation
import Synchronization

/// Where a dispatched call's replies go: the server's event loop, a collector in-process, or
/// the fuzz target's checker (hence `package`).
package protocol ReplySink: Sendable {
    /// One complete reply message, NUL included.
    func send(_ reply: [UInt8])
    /// The call is over (after its final reply, or with none for `oneway`).
    func finish()
    /// The message broke the protocol; the connection must close.
    func violate(_ reason: String)
}

/// A set of interfaces plus the mandatory `org.varlink.service`: decodes a call, routes it to its
/// handler and encodes the replies. It knows nothing of sockets.
public final class VarlinkService: Sendable {
    public let info: VarlinkServiceInfo
    let interfaces: [String: VarlinkInterface]
    /// Interface names in registration order, `org.varlink.service` first.
    let interfaceNames: [String]

    /// A service answering `org.varlink.service` with `info` plus `interfaces` (a repeated name
    /// keeps the first).
    public init(info: VarlinkServiceInfo, interfaces: [VarlinkInterface]) {
        self.info = info
        var byName: [String: VarlinkInterface] = [:]
        var names = [VarlinkError.serviceInterface]
        for interface in interfaces where byName[interface.name] == nil {
            byName[interface.name] = interface
            names.append(interface.name)
        }
        self.interfaceNames = names
        self.interfaces = byName
    }

    /// The header of a call; `parameters` is decoded later by the handler.
    private struct Header: Decodable {
        let method: String
        let more: Bool?
        let oneway: Bool?
        let upgrade: Bool?
    }

    /// Runs one message to completion: every reply goes to `sink`, then exactly one of
    /// `finish()` or `violate(_:)`.
    package func handle(message: [UInt8], peer: VarlinkPeer, sink: some ReplySink) async {
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(message))
        } catch let error as DecodingError {
            if let parameter = Self.headerMemberInError(error) {
                sink.send(ReplyEncoding.error(.invalidParameter(parameter)))
                sink.finish()
            } else {
                sink.violate("a message that is not a JSON object")
            }
            return
        } catch {
            sink.violate("a message that is not a JSON object")
            return
        }
        let oneway = header.oneway ?? false
        let more = header.more ?? false
        let reply: @Sendable ([UInt8]) -> Void
        if oneway {
            reply = { _ in }
        } else {
            reply = { bytes in sink.send(bytes) }
        }
        if header.upgrade == true {
            reply(ReplyEncoding.error(.invalidParameter("upgrade")))
            sink.finish()
            return
        }
        let call = VarlinkCall(method: header.method, more: more, oneway: oneway, peer: peer, message: message)
        do throws(VarlinkError) {
            let handler = try route(header.method)
            let final = try await handler(call, VarlinkReplyStream(more: more, emit: reply))
            reply(ReplyEncoding.reply(final, continues: false))
        } catch {
            reply(ReplyEncoding.error(error))
        }
        sink.finish()
    }

    /// Which header member a decoding error is about, or nil when the message is no JSON object.
    private static func headerMemberInError(_ error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, let context) where context.codingPath.isEmpty:
            return key.stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.first?.stringValue
        default:
            return nil
        }
    }

    private func route(_ method: String) throws(VarlinkError) -> VarlinkMethodHandler {
        guard let dot = method.lastIndex(of: "."), dot != method.startIndex else {
            throw .methodNotFound(method)
        }
        let interfaceName = String(method[..<dot])
        let member = String(method[method.index(after: dot)...])
        if interfaceName == VarlinkError.serviceInterface {
            return try serviceHandler(member, method: method)
        }
        guard let interface = interfaces[interfaceName] else { throw .interfaceNotFound(interfaceName) }
        if let handler = interface.methods[member] { return handler }
        if interface.declaredMethods.contains(member) { throw .methodNotImplemented(method) }
        throw .methodNotFound(method)
    }

    private func serviceHandler(_ member: String, method: String) throws(VarlinkError) -> VarlinkMethodHandler {
        switch member {
        case "GetInfo":
            return { [info, interfaceNames] _, _ throws(VarlinkError) in
                struct Info: Encodable {
                    let vendor, product, version, url: String
                    let interfaces: [String]
                }
                return try Self.encode(Info(
                    vendor: info.vendor, product: info.product, version: info.version, url: info.url,
                    interfaces: interfaceNames))
            }
        case "GetInterfaceDescription":
            return { [interfaces] call, _ throws(VarlinkError) in
                struct Request: Decodable { let interface: String }
                struct Reply: Encodable { let description: String }
                let name = try call.parameters(as: Request.self).interface
                if name == VarlinkError.serviceInterface {
                    return try Self.encode(Reply(description: Self.serviceDescription))
                }
                guard let interface = interfaces[name] else { throw .interfaceNotFound(name) }
                return try Self.encode(Reply(description: interface.description))
            }
        default:
            throw .methodNotFound(method)
        }
    }

    private static func encode(_ value: some Encodable) throws(VarlinkError) -> VarlinkParameters {
        do {
            return try VarlinkParameters(encoding: value)
        } catch {
            throw .invalidParameter("parameters")
        }
    }

    /// The standard `org.varlink.service` interface text.
    static let serviceDescription = """
        # The Varlink Service Interface is provided by every varlink service. It
        # describes the service and the interfaces it implements.
        interface org.varlink.service

        # Get a list of all the interfaces a service provides and information
        # about the implementation.
        method GetInfo() -> (
          vendor: string,
          product: string,
          version: string,
          url: string,
          interfaces: []string
        )

        # Get the description of an interface that is implemented by this service.
        method GetInterfaceDescription(interface: string) -> (description: string)

        # The requested interface was not found.
        error InterfaceNotFound (interface: string)

        # The requested method was not found
        error MethodNotFound (method: string)

        # The interface defines the requested method, but the service does not
        # implement it.
        error MethodNotImplemented (method: string)

        # One of the passed parameters is invalid.
        error InvalidParameter (parameter: string)

        # Client is denied access
        error PermissionDenied ()

        # Method is expected to be called with 'more' set to true, but wasn't
        error ExpectedMore ()

        """
}

extension VarlinkService {
    /// One reply of an in-process call.
    public enum Reply: Sendable, Equatable {
        case parameters(JSONValue, continues: Bool)
        case error(VarlinkError)
    }

    /// Dispatches one call in-process (no socket): for tests and embedding. Returns the replies
    /// in order, or nil when the message broke the protocol (a connection would be closed).
    public func call(message: String, peer: VarlinkPeer) async -> [Reply]? {
        let collector = Collector()
        await handle(message: Array(message.utf8), peer: peer, sink: collector)
        return collector.replies
    }

    private final class Collector: ReplySink {
        private let state = Mutex<[Reply]?>([])

        var replies: [Reply]? { state.withLock { $0 } }

        func send(_ reply: [UInt8]) {
            let value = (try? JSONDecoder().decode(JSONValue.self, from: Data(reply.dropLast()))) ?? .null
            let decoded: Reply
            if let name = value["error"]?.stringValue {
                decoded = .error(VarlinkError(name, parameters: value["parameters"]?.objectValue ?? [:]))
            } else {
                decoded = .parameters(value["parameters"] ?? .object([:]), continues: value["continues"] == .bool(true))
            }
            state.withLock { $0?.append(decoded) }
        }

        func finish() {}

        func violate(_ reason: String) {
            state.withLock { $0 = nil }
        }
    }
}
