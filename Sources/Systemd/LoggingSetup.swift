import Glibc
import Logging

/// Where log output should go, as `tributaryd.conf`'s `log =` and `$TRIBUTARY_LOG` spell it.
public enum LogDestination: String, Sendable, CaseIterable {
    /// The journal when stderr is connected to it, else stderr.
    case auto
    /// Native journal entries.
    case journal
    /// Plain lines on stderr.
    case stderr
}

/// Where log output actually goes, once `auto` and the environment are resolved.
public enum LogOutput: Sendable, Equatable {
    /// Native entries through `sd_journal_sendv`.
    case journal
    /// Plain lines on stderr, with `<N>` priority prefixes when stderr is a journal stream.
    case stderr(syslogPrefixes: Bool)
}

/// Chooses and installs the process-wide swift-log backend.
public enum LoggingSetup {
    /// Overrides the configured destination: `journal`, `stderr` or `auto`.
    public static let environmentVariable = "TRIBUTARY_LOG"

    /// Resolves a destination. `$TRIBUTARY_LOG`, when set to a valid value, wins over
    /// `requested`; `auto` picks the journal exactly when `$JOURNAL_STREAM` names our stderr
    /// (sd-daemon(3)), so a daemon started from a terminal or with stderr redirected prints
    /// lines and one started by systemd writes structured entries.
    public static func output(
        for requested: LogDestination = .auto,
        environment: [String: String] = currentEnvironment()
    ) -> LogOutput {
        let destination = environment[environmentVariable].flatMap(LogDestination.init(rawValue:)) ?? requested
        let stderrIsJournal = Journal.isStderrJournalStream(environment["JOURNAL_STREAM"])
        switch destination {
        case .journal: return .journal
        case .stderr: return .stderr(syslogPrefixes: stderrIsJournal)
        case .auto: return stderrIsJournal ? .journal : .stderr(syslogPrefixes: false)
        }
    }

    /// Installs the backend for the whole process (swift-log allows this once) and returns
    /// what it chose. `identifier` becomes `SYSLOG_IDENTIFIER`, e.g. `tributaryd`.
    @discardableResult
    public static func bootstrap(
        identifier: String, destination: LogDestination = .auto, level: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> LogOutput {
        let output = output(for: destination)
        LoggingSystem.bootstrap({ label, provider in
            DaemonLogHandler(label: label, identifier: identifier, output: output, level: level, metadataProvider: provider)
        }, metadataProvider: metadataProvider)
        return output
    }

    /// The process environment, read through `environ`.
    public static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
