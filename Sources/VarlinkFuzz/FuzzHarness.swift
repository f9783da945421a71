import Control
import Dispatch
import Foundation
import Logging
import Synchronization
import Varlink

/// Runs one fuzz input through the code a control-socket connection runs: `MessageFramer`, then
/// `VarlinkService.handle` (header decoding, routing, each `io.tributary.Datastores` method's
/// parameter decoding and validation, reply encoding) over `EchoBackend`. A crash, a hang, or a
/// broken protocol invariant (checked here, trapping) is a finding.
///
/// Two input forms, so both the framing and every method's parameters get explored:
/// - `@Method [more] [oneway] [nobody|member]` on the first line, the parameters' JSON after it:
///   one call of `io.tributary.Datastores.Method` (or of a dotted `interface.Method`), as root
///   unless `nobody` (an unprivileged uid) or `member` (the admin group) says otherwise.
/// - anything else: a byte stream as a client would send it, in chunks of `1 + first byte % 64`.
enum FuzzHarness {
    /// Small, so the fuzzer reaches the oversized-message path; the server's is 1 MiB.
    static let maxMessageBytes = 4096
    /// Calls per input, to keep executions fast.
    static let maxMessages = 32
    static let adminGroup: UInt32 = 4242

    static let service = ControlInterface.service(
        backend: EchoBackend(), authorizer: Authorizer(privilegedUserIDs: [0], groupID: adminGroup),
        logger: Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }, version: "fuzz")

    static let root = VarlinkPeer(processID: 1, userID: 0, groupID: 0, supplementaryGroups: [])
    static let nobody = VarlinkPeer(processID: 2, userID: 65534, groupID: 65534, supplementaryGroups: [])
    static let member = VarlinkPeer(processID: 3, userID: 1000, groupID: 1000, supplementaryGroups: [adminGroup])

    static func run(_ input: [UInt8]) {
        if input.first == UInt8(ascii: "@") {
            let (message, peer) = call(from: input)
            dispatch([message], peer: peer)
        } else {
            dispatch(frame(input), peer: root)
        }
    }

    // MARK: - Inputs

    /// The message and peer an `@Method …` input stands for.
    static func call(from input: [UInt8]) -> ([UInt8], VarlinkPeer) {
        let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
        let words = String(decoding: input[1..<newline], as: UTF8.self).split(separator: " ")
        let method = words.first.map(String.init) ?? ""
        let flags = Set(words.dropFirst())
        let qualified = method.contains(".") ? method : ControlInterface.name + "." + method
        var message = Array(#"{"method":"#.utf8) + jsonString(qualified) + Array(#","parameters":"#.utf8)
        let parameters = newline < input.endIndex ? input[(newline + 1)...] : []
        message += parameters.isEmpty ? Array("{}".utf8) : Array(parameters)
        if flags.contains("more") { message += Array(#","more":true"#.utf8) }
        if flags.contains("oneway") { message += Array(#","oneway":true"#.utf8) }
        message.append(UInt8(ascii: "}"))
        let peer = flags.contains("nobody") ? nobody : flags.contains("member") ? member : root
        return (message, peer)
    }

    /// The messages a connection would dispatch from this byte stream, checking the framer's
    /// bookkeeping on the way; framing stops where the server would close the connection.
    static func frame(_ input: [UInt8]) -> [[UInt8]] {
        guard let first = input.first else { return [] }
        let chunk = 1 + Int(first) % 64
        var framer = MessageFramer(maxMessageBytes: maxMessageBytes)
        var messages: [[UInt8]] = []
        var fed = 0
        var framedBytes = 0
        var offset = 1
        while offset < input.count {
            let end = min(offset + chunk, input.count)
            do {
                let complete = try framer.append(input[offset..<end])
                for message in complete {
                    check(!message.contains(0), "a framed message holds a NUL")
                    check(message.count <= maxMessageBytes, "a framed message exceeds the limit")
                    framedBytes += message.count + 1
                }
                messages += complete
            } catch {
                return messages
            }
            fed += end - offset
            offset = end
            check(framedBytes + framer.bufferedBytes == fed, "the framer lost or invented bytes")
        }
        return messages
    }

    // MARK: - Dispatch and invariants

    /// Handles `messages` one after another as one connection does, until one breaks the protocol.
    static func dispatch(_ messages: [[UInt8]], peer: VarlinkPeer) {
        guard !messages.isEmpty else { return }
        let done = DispatchSemaphore(value: 0)
        let batch = Array(messages.prefix(maxMessages))
        Task {
            for message in batch {
                let sink = CheckingSink()
                await service.handle(message: message, peer: peer, sink: sink)
                if sink.verify(oneway: declaresOneway(message)) == .violated { break }
            }
            done.signal()
        }
        // A hang is a finding too: libFuzzer's -timeout reports it.
        done.wait()
    }

    /// Whether the message validly asked for no reply. A header that does not decode (say, no
    /// `method`) gets an error reply even when it holds `"oneway": true`: the flag is only
    /// trusted in a valid header, as the service does.
    static func declaresOneway(_ message: [UInt8]) -> Bool {
        struct Header: Decodable {
            let method: String
            let more: Bool?
            let oneway: Bool?
            let upgrade: Bool?
        }
        return (try? JSONDecoder().decode(Header.self, from: Data(message)))?.oneway == true
    }

    static func jsonString(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0..<0x20: bytes += Array(String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return bytes
    }

    /// Traps with `reason` when an invariant fails, which libFuzzer reports as a crash.
    static func check(_ condition: Bool, _ reason: @autoclosure () -> String) {
        if !condition { fatalError("VarlinkFuzz invariant broken: \(reason())") }
    }
}

/// Records what `VarlinkService.handle` sent and checks it is a well-formed Varlink answer.
final class CheckingSink: ReplySink {
    enum Outcome { case finished, violated }

    private struct State {
        var replies: [[UInt8]] = []
        var outcome: Outcome?
        var ends = 0
    }

    private let state = Mutex(State())

    func send(_ reply: [UInt8]) {
        state.withLock { state in
            FuzzHarness.check(state.outcome == nil, "a reply after the call ended")
            state.replies.append(reply)
        }
    }

    func finish() { end(.finished) }

    func violate(_ reason: String) { end(.violated) }

    private func end(_ outcome: Outcome) {
        state.withLock { state in
            state.ends += 1
            state.outcome = outcome
        }
    }

    /// Checks the whole answer of one call: exactly one end; a violation sends nothing; every
    /// reply is one NUL-terminated JSON object with a well-typed `error`/`parameters`; all but
    /// the last continue, the last does not; a oneway call gets nothing.
    func verify(oneway: Bool) -> Outcome {
        let (replies, outcome, ends) = state.withLock { ($0.replies, $0.outcome, $0.ends) }
        FuzzHarness.check(ends == 1, "the call ended \(ends) times")
        guard let outcome else { return .violated }
        if outcome == .violated {
            FuzzHarness.check(replies.isEmpty, "replies before a protocol violation")
            return outcome
        }
        if oneway {
            FuzzHarness.check(replies.isEmpty, "a reply to a oneway call")
            return outcome
        }
        FuzzHarness.check(!replies.isEmpty, "a call ended without a reply")
        for (index, reply) in replies.enumerated() {
            FuzzHarness.check(reply.last == 0 && reply.firstIndex(of: 0) == reply.count - 1, "a reply not framed by one NUL")
            let object = try? JSONSerialization.jsonObject(with: Data(reply.dropLast()))
            guard let object = object as? [String: Any] else {
                FuzzHarness.check(false, "a reply that is not a JSON object")
                return outcome
            }
            if let error = object["error"] { FuzzHarness.check(error is String, "an error name that is not a string") }
            if let parameters = object["parameters"] {
                FuzzHarness.check(parameters is [String: Any], "reply parameters that are not an object")
            }
            let continues = object["continues"] as? Bool ?? false
            FuzzHarness.check(continues == (index < replies.count - 1), "continues is wrong on reply \(index) of \(replies.count)")
            if object["error"] != nil { FuzzHarness.check(index == replies.count - 1, "an error reply that is not the last") }
        }
        return outcome
    }
}
