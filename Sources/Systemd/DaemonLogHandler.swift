import Glibc
import Logging

/// The daemon's swift-log handler: native journal entries or plain stderr lines, per
/// ``LogOutput`` (``LoggingSetup`` picks it).
///
/// Journal entries carry `MESSAGE`, `PRIORITY` (trace/debug 7, info 6, notice 5, warning 4,
/// error 3, critical 2), `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, `MESSAGE_ID`
/// from the `message_id` metadata key (see `TributaryEvent`), `TRIBUTARY_LOGGER` (the logger's
/// label), `TRIBUTARY_SOURCE` (the module), `TRIBUTARY_ERROR`, and every other metadata key as
/// `TRIBUTARY_<KEY>` in upper case (`page_id`/`pageId` → `TRIBUTARY_PAGE_ID`). Multi-line and
/// large values are sent whole. When journald cannot be reached, the event is written to
/// stderr as a line instead, so nothing is lost silently.
///
/// Stderr lines read `level: message key=value …`, one per event, with a `<N>` priority prefix
/// when ``LogOutput/stderr(syslogPrefixes:)`` asks for it (journald's stream reader turns it
/// into `PRIORITY=`).
///
/// Either way, secrets are masked first (`SecretRedactor`).
public struct DaemonLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    /// Where events go.
    public let output: LogOutput
    /// The `SYSLOG_IDENTIFIER` (what `journalctl -t` filters on), such as `tributaryd`.
    public let identifier: String
    /// The logger's label.
    public let label: String

    public init(
        label: String, identifier: String, output: LogOutput, level: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.identifier = identifier
        self.output = output
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(handler: metadata, provider: metadataProvider, event: event.metadata)
        switch output {
        case .journal:
            let fields = JournalEntry.fields(of: event, identifier: identifier, label: label, metadata: merged)
            if !Journal.isAvailable() || Journal.send(fields) != 0 {
                StandardError.write(PlainLogLine.format(event, metadata: merged, syslogPrefix: false))
            }
        case .stderr(let syslogPrefixes):
            StandardError.write(PlainLogLine.format(event, metadata: merged, syslogPrefix: syslogPrefixes))
        }
    }
}

/// Handler metadata, overridden by the provider's, overridden by the call's (swift-log's order).
func mergedMetadata(
    handler: Logger.Metadata, provider: Logger.MetadataProvider?, event: Logger.Metadata?
) -> Logger.Metadata {
    var merged = handler
    if let provided = provider?.get() { merged.merge(provided) { _, new in new } }
    if let event { merged.merge(event) { _, new in new } }
    return merged
}

/// Whole-line writes to file descriptor 2, so lines from several threads never interleave
/// mid-line (each is one `write(2)` unless the pipe is full).
enum StandardError {
    static func write(_ line: String) {
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
