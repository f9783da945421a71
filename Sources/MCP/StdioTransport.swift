import Dispatch
import Foundation
import Glibc
import Synchronization
import Varlink

/// The stdio transport: newline-delimited JSON-RPC on two file descriptors (standard input and
/// output for `tributaryctl mcp`). Nothing but protocol is written to `output`.
///
/// Requests are served concurrently (at most ``maxInFlight`` at once; reading waits beyond
/// that) and replies are written whole, one per line, in the order they complete. A line that
/// is not JSON gets a parse error and the loop goes on; a line over
/// ``MCPServer/maxMessageBytes`` is skipped unbuffered and answered with -32600.
public struct MCPStdioTransport: Sendable {
    public let server: MCPServer
    /// Where requests are read from (standard input by default).
    public let input: Int32
    /// Where replies are written (standard output by default): nothing else is.
    public let output: Int32
    /// Requests served at once; reading pauses beyond that.
    public let maxInFlight: Int

    public init(server: MCPServer, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, maxInFlight: Int = 32) {
        self.server = server
        self.input = input
        self.output = output
        self.maxInFlight = max(1, maxInFlight)
    }

    /// Serves until the input ends, then finishes the requests in flight and returns.
    public func run() async {
        // A client that hangs up must not kill the bridge with SIGPIPE mid-reply; the write fails instead.
        signal(SIGPIPE, SIG_IGN)
        let permits = DispatchSemaphore(value: maxInFlight)
        let writer = LineWriter(output)
        let lines = LineReader.lines(from: input, maxBytes: MCPServer.maxMessageBytes, permits: permits)
        let server = self.server
        await withDiscardingTaskGroup { group in
            for await line in lines {
                group.addTask {
                    defer { permits.signal() }
                    switch line {
                    case .message(let bytes):
                        if case .reply(let reply) = await server.handle(bytes, context: MCPRequestContext(transport: .stdio)) {
                            await writer.write(reply)
                        }
                    case .tooLong(let bytes):
                        await writer.write(JSONText.encode(JSONText.error(id: .null, MCPServer.tooLarge(bytes))))
                    }
                }
            }
        }
    }
}

/// One input line.
enum InputLine: Sendable {
    case message([UInt8])
    /// A line longer than the limit, of this many bytes, not kept.
    case tooLong(Int)
}

/// Splits a file descriptor's bytes into lines on a thread of its own (blocking reads stay off
/// the cooperative pool). Waits for a permit before handing on each line, which bounds the
/// requests in flight and the memory a fast client can make us hold.
enum LineReader {
    static func lines(from fd: Int32, maxBytes: Int, permits: DispatchSemaphore) -> AsyncStream<InputLine> {
        AsyncStream { continuation in
            let thread = Thread {
                var splitter = LineSplitter(maxBytes: maxBytes)
                let emit = { (line: InputLine) in
                    permits.wait()
                    continuation.yield(line)
                }
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    splitter.feed(chunk[..<count], emit: emit)
                }
                splitter.finish(emit: emit)
                continuation.finish()
            }
            thread.start()
        }
    }
}

/// Cuts a byte stream at `\n` (dropping a `\r` before it and blank lines), and replaces a line
/// longer than `maxBytes` by its length without holding it.
struct LineSplitter {
    let maxBytes: Int
    private var line: [UInt8] = []
    /// Bytes of an overlong line dropped so far; nil while the line is within the limit.
    private var discarded: Int?

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    mutating func feed(_ bytes: ArraySlice<UInt8>, emit: (InputLine) -> Void) {
        var rest = bytes
        while !rest.isEmpty {
            let end = rest.firstIndex(of: UInt8(ascii: "\n"))
            let piece = rest[..<(end ?? rest.endIndex)]
            if let dropped = discarded {
                discarded = dropped + piece.count
            } else {
                line.append(contentsOf: piece)
                if line.count > maxBytes {
                    discarded = line.count
                    line = []
                }
            }
            guard let end else { return }
            complete(emit: emit)
            rest = rest[rest.index(after: end)...]
        }
    }

    mutating func finish(emit: (InputLine) -> Void) {
        complete(emit: emit)
    }

    private mutating func complete(emit: (InputLine) -> Void) {
        if let dropped = discarded {
            emit(.tooLong(dropped))
        } else {
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) { emit(.message(line)) }
        }
        line = []
        discarded = nil
    }
}

/// Writes whole lines, one at a time, on a queue of its own; after the reader hangs up
/// (EPIPE) it drops what is left.
final class LineWriter: Sendable {
    private let fd: Int32
    private let queue = DispatchQueue(label: "mcp-stdio-writer")
    private let broken = Mutex(false)

    init(_ fd: Int32) {
        self.fd = fd
    }

    func write(_ bytes: [UInt8]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.writeAll(bytes + [UInt8(ascii: "\n")])
                continuation.resume()
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        guard !broken.withLock({ $0 }) else { return }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                broken.withLock { $0 = true }
                return
            }
            offset += written
        }
    }
}
