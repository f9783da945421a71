import Logging
import Synchronization

/// Log records kept in memory, for tests that check what is logged (and that secrets are not).
public final class LogCapture: Sendable {
    /// One logged event, with the logger's and the event's metadata merged.
    public struct Record: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: [String: String]

        /// The message and its metadata, for "does this appear anywhere" checks.
        public var text: String { "\(message) \(metadata.sorted { $0.key < $1.key })" }

        /// `level message key=value …`, metadata sorted by key.
        public var line: String {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(level) \(message) \(fields)"
        }
    }

    private let records = Mutex<[Record]>([])

    public init() {}

    /// Every record so far, oldest first.
    public var all: [Record] { records.withLock { $0 } }

    /// Every record formatted as ``Record/line``.
    public var lines: [String] { all.map(\.line) }

    /// How many records carry exactly `message`.
    public func count(_ message: String) -> Int {
        records.withLock { $0.filter { $0.message == message }.count }
    }

    /// A logger (every level) whose records land here.
    public var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ record: Record) { records.withLock { $0.append(record) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
