import Logging
import TributaryEvents

/// One `NAME=value` field of a journal entry.
struct JournalField: Sendable, Equatable {
    var name: String
    var value: String
}

/// Turns a swift-log event into the fields of one journal entry (systemd.journal-fields(7)).
///
/// `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, then
/// `MESSAGE_ID` when the metadata names an event, then every metadata key as an upper-case
/// `TRIBUTARY_` field, sorted. Everything passes through ``SecretRedactor`` first.
enum JournalEntry {
    /// journald ignores longer field names (and any outside `[A-Z0-9_]`, or starting with `_`).
    static let maximumFieldNameLength = 64
    static let metadataPrefix = "TRIBUTARY_"

    static func fields(
        of event: LogEvent, identifier: String, label: String, metadata: Logger.Metadata
    ) -> [JournalField] {
        var fields = [
            JournalField(name: "MESSAGE", value: SecretRedactor.redact(event.message.description)),
            JournalField(name: "PRIORITY", value: String(SyslogPriority(event.level).rawValue)),
            JournalField(name: "SYSLOG_IDENTIFIER", value: identifier),
            JournalField(name: "CODE_FILE", value: event.file),
            JournalField(name: "CODE_LINE", value: String(event.line)),
            JournalField(name: "CODE_FUNC", value: event.function),
            JournalField(name: metadataPrefix + "LOGGER", value: label),
            JournalField(name: metadataPrefix + "SOURCE", value: event.source),
        ]
        if let error = event.error {
            fields.append(JournalField(name: metadataPrefix + "ERROR", value: SecretRedactor.redact(String(describing: error))))
        }
        var remaining = metadata
        if let value = remaining.removeValue(forKey: MetadataKey.messageID) {
            if let id = messageID(value.description) {
                fields.append(JournalField(name: "MESSAGE_ID", value: id))
            } else {
                // Not a 128-bit id: keep it visible rather than drop it.
                remaining[MetadataKey.messageID] = value
            }
        }
        for (key, value) in SecretRedactor.redact(remaining).sorted(by: { $0.key < $1.key }) {
            append(value, named: fieldName(forKey: key), to: &fields)
        }
        return fields
    }

    /// `TRIBUTARY_` plus the key's words in upper case (`pageId` → `TRIBUTARY_PAGE_ID`),
    /// cut to the length journald accepts.
    static func fieldName(forKey key: String) -> String {
        let words = MetadataKey.words(in: key)
        let name = metadataPrefix + (words.isEmpty ? "FIELD" : words.joined(separator: "_").uppercased())
        return String(name.prefix(maximumFieldNameLength))
    }

    /// A 128-bit id as 32 lower-case hex digits; accepts upper case and UUID dashes.
    static func messageID(_ text: String) -> String? {
        let digits = text.lowercased().filter { $0 != "-" }
        guard digits.count == 32, digits.allSatisfy(\.isHexDigit) else { return nil }
        return digits
    }

    /// Nested dictionaries flatten into `PARENT_CHILD` names; arrays keep swift-log's rendering.
    private static func append(_ value: Logger.MetadataValue, named name: String, to fields: inout [JournalField]) {
        if case .dictionary(let dictionary) = value {
            for (key, nested) in dictionary.sorted(by: { $0.key < $1.key }) {
                let suffix = MetadataKey.words(in: key).joined(separator: "_").uppercased()
                append(nested, named: String((name + "_" + suffix).prefix(maximumFieldNameLength)), to: &fields)
            }
        } else {
            fields.append(JournalField(name: name, value: value.description))
        }
    }
}

/// syslog(3) priorities, as journald's `PRIORITY` field and the `<N>` stderr prefix use them.
enum SyslogPriority: Int, Sendable {
    case critical = 2
    case error = 3
    case warning = 4
    case notice = 5
    case info = 6
    case debug = 7

    init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
