import Foundation
import Synchronization

/// A stand-in for systemd's notify socket: an AF_UNIX datagram socket that records every
/// sd_notify(3) message in arrival order. Point a child at it with `NOTIFY_SOCKET=path`.
///
/// A reader thread of its own receives the datagrams, so waiting for one never blocks the
/// cooperative pool.
public final class NotifyRecorder: Sendable {
    /// The socket's path, for `$NOTIFY_SOCKET`.
    public let path: String
    private let descriptor: Int32
    private let storage = Storage()

    /// Shared with the reader thread, which must not keep the recorder itself alive.
    private final class Storage: Sendable {
        let datagrams = Mutex<[String]>([])
        let stopped = Atomic<Bool>(false)
    }

    /// Binds a fresh socket under `$TMPDIR` (the path must stay under 108 bytes).
    public init() throws {
        path = NSTemporaryDirectory() + "/tributary-notify-\(UUID().uuidString.prefix(8))"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket(AF_UNIX) failed: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw HarnessError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw HarnessError("cannot bind \(path): \(reason)")
        }
        // Short receive timeouts let the reader notice close().
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let socketDescriptor = descriptor
        let shared = storage
        Thread.detachNewThread { Self.receive(from: socketDescriptor, into: shared) }
    }

    deinit {
        stop()
    }

    /// Every datagram so far, in order (one sd_notify call each; several assignments in one
    /// call are separated by newlines).
    public var datagrams: [String] {
        storage.datagrams.withLock { $0 }
    }

    /// Every `KEY=value` assignment so far, in order, across datagrams.
    public var assignments: [String] {
        datagrams.flatMap { $0.split(separator: "\n").map(String.init) }
    }

    /// Waits until `condition` holds for the assignments received so far, polling every 20 ms.
    /// Returns them, or nil if `timeout` passed first.
    public func wait(
        timeout: Duration, until condition: @Sendable ([String]) -> Bool
    ) async throws -> [String]? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = assignments
            if condition(current) { return current }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for an assignment equal to `assignment` (for example `READY=1`).
    public func wait(for assignment: String, timeout: Duration) async throws -> [String]? {
        try await wait(timeout: timeout) { $0.contains(assignment) }
    }

    /// Stops the reader and removes the socket. Safe to call more than once.
    public func stop() {
        guard !storage.stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // The reader sees the flag within 100 ms and closes the descriptor itself.
        unlink(path)
    }

    private static func receive(from descriptor: Int32, into storage: Storage) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !storage.stopped.load(ordering: .acquiring) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                storage.datagrams.withLock { $0.append(text) }
            }
        }
        close(descriptor)
    }
}
