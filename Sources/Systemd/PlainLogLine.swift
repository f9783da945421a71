import Logging
import TributaryEvents

/// The stderr form of a log event: `[<N>]level: message key=value …` on one line.
///
/// The `<N>` syslog prefix (sd-daemon(3)) is added when stderr is a journal stream, so that
/// journald still records the right priority if native logging was turned off.
enum PlainLogLine {
    static func format(
        _ event: LogEvent, metadata: Logger.Metadata, syslogPrefix: Bool
    ) -> String {
        var line = syslogPrefix ? "<\(SyslogPriority(event.level).rawValue)>" : ""
        line += "\(event.level): "
        line += escaped(SecretRedactor.redact(event.message.description))
        var pairs = SecretRedactor.redact(metadata).sorted { $0.key < $1.key }.map { ($0.key, $0.value.description) }
        if let error = event.error {
            pairs.append(("error", SecretRedactor.redact(String(describing: error))))
        }
        for (key, value) in pairs {
            line += " \(key)=\(quotedIfNeeded(value))"
        }
        line += "\n"
        return line
    }

    /// One entry per line: newlines and other controls become escapes. Inside quotes, `\\` and
    /// `"` are escaped too.
    static func escaped(_ text: String, quoting: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\\" where quoting: result += "\\\\"
            case "\"" where quoting: result += "\\\""
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Values with blanks, quotes, `=`, backslashes or nothing at all are quoted so
    /// `key=value` stays parseable.
    static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" }
        return needsQuotes ? "\"" + escaped(value, quoting: true) + "\"" : escaped(value)
    }
}
