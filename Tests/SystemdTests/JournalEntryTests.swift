import Glibc
import Logging
import Testing
import TributaryEvents
@testable import Systemd

@Suite("Journal entries and plain lines")
struct JournalEntryTests {
    private func event(
        _ level: Logger.Level = .info, _ message: Logger.Message = "hello", error: (any Error)? = nil
    ) -> LogEvent {
        LogEvent(
            level: level, message: message, error: error, metadata: nil, source: "Engine",
            file: "Engine/Scheduler.swift", function: "tick()", line: 42)
    }

    private func fields(_ event: LogEvent, _ metadata: Logger.Metadata = [:]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for field in JournalEntry.fields(of: event, identifier: "tributaryd", label: "tributary.engine", metadata: metadata) {
            result[field.name, default: []].append(field.value)
        }
        return result
    }

    @Test(
        "swift-log levels map to syslog priorities",
        arguments: [
            (Logger.Level.trace, "7"), (.debug, "7"), (.info, "6"), (.notice, "5"), (.warning, "4"), (.error, "3"),
            (.critical, "2"),
        ])
    func priorities(level: Logger.Level, priority: String) {
        #expect(fields(event(level))["PRIORITY"] == [priority])
    }

    @Test("The well-known fields come from the event and the handler")
    func wellKnownFields() {
        let fields = fields(event(.warning, "first\nsecond"))
        #expect(fields["MESSAGE"] == ["first\nsecond"])
        #expect(fields["SYSLOG_IDENTIFIER"] == ["tributaryd"])
        #expect(fields["CODE_FILE"] == ["Engine/Scheduler.swift"])
        #expect(fields["CODE_LINE"] == ["42"])
        #expect(fields["CODE_FUNC"] == ["tick()"])
        #expect(fields["TRIBUTARY_LOGGER"] == ["tributary.engine"])
        #expect(fields["TRIBUTARY_SOURCE"] == ["Engine"])
        #expect(fields["MESSAGE_ID"] == nil)
    }

    @Test("Metadata keys become upper-case TRIBUTARY_ fields journald accepts")
    func metadataFieldNames() {
        let metadata: Logger.Metadata = [
            "datastore": "eng", "state": "ready", "pageId": "1", "job-id": "j1", "_private": "x", "9lives": "y",
            "données": "z", String(repeating: "long_", count: 20): "w",
            "scope": ["space": "ENG", "rootPage": "7"],
        ]
        let fields = fields(event(), metadata)
        #expect(fields["TRIBUTARY_DATASTORE"] == ["eng"])
        #expect(fields["TRIBUTARY_STATE"] == ["ready"])
        #expect(fields["TRIBUTARY_PAGE_ID"] == ["1"])
        #expect(fields["TRIBUTARY_JOB_ID"] == ["j1"])
        #expect(fields["TRIBUTARY_PRIVATE"] == ["x"])
        #expect(fields["TRIBUTARY_9LIVES"] == ["y"])
        #expect(fields["TRIBUTARY_DONN_ES"] == ["z"])
        #expect(fields["TRIBUTARY_SCOPE_SPACE"] == ["ENG"])
        #expect(fields["TRIBUTARY_SCOPE_ROOT_PAGE"] == ["7"])
        for name in fields.keys {
            // journald's rule (journal_field_valid): [A-Z0-9_], not starting with _ or a digit, ≤ 64.
            #expect(name.count <= 64 && name.first != "_" && !(name.first?.isNumber ?? true), "\(name)")
            #expect(name.allSatisfy { ($0.isUppercase && $0.isASCII) || $0.isNumber || $0 == "_" }, "\(name)")
        }
    }

    @Test("message_id becomes MESSAGE_ID when it is a 128-bit id, and stays visible when not")
    func messageID() {
        let ready = fields(event(), TributaryEvent.datastoreReady.metadata(["datastore": "eng"]))
        #expect(ready["MESSAGE_ID"] == [TributaryEvent.datastoreReady.messageID])
        #expect(ready["TRIBUTARY_MESSAGE_ID"] == nil)
        let dashed = fields(event(), ["message_id": "832501EE-5BC1-4217-8B9F-C5D3CF889617"])
        #expect(dashed["MESSAGE_ID"] == ["832501ee5bc142178b9fc5d3cf889617"])
        let bogus = fields(event(), ["message_id": "not-an-id"])
        #expect(bogus["MESSAGE_ID"] == nil)
        #expect(bogus["TRIBUTARY_MESSAGE_ID"] == ["not-an-id"])
    }

    @Test("Secrets in the message, the error and the metadata never reach the fields")
    func redaction() {
        struct Failure: Error, CustomStringConvertible {
            var description: String { "401 for https://bot:pa55word@x.example" }
        }
        let fields = fields(
            event(.error, "login with token=Zq8Wv3Lp failed", error: Failure()),
            ["api_token": "Zq8Wv3Lp", "credential": .stringConvertible(Redacted("Zq8Wv3Lp"))])
        #expect(fields["MESSAGE"] == ["login with token=<redacted> failed"])
        #expect(fields["TRIBUTARY_ERROR"] == ["401 for https://bot:<redacted>@x.example"])
        #expect(fields["TRIBUTARY_API_TOKEN"] == ["<redacted>"])
        #expect(fields["TRIBUTARY_CREDENTIAL"] == ["<redacted>"])
        #expect(!fields.values.joined().contains { $0.contains("Zq8Wv3Lp") || $0.contains("pa55word") })
    }

    @Test("Plain lines: level, message, sorted key=value pairs, escapes, optional <N> prefix")
    func plainLines() {
        let line = PlainLogLine.format(
            event(.warning, "sync\nstalled"),
            metadata: ["datastore": "eng", "reason": "HTTP 503 \"busy\"", "empty": "", "password": "x"],
            syslogPrefix: false)
        let expected = #"warning: sync\nstalled datastore=eng empty="" password=<redacted> reason="HTTP 503 \"busy\"""#
        #expect(line == expected + "\n")
        let prefixed = PlainLogLine.format(event(.error, "boom"), metadata: [:], syslogPrefix: true)
        #expect(prefixed == "<3>error: boom\n")
    }

    @Test("auto picks the journal exactly when $JOURNAL_STREAM names stderr; TRIBUTARY_LOG overrides")
    func destination() {
        var status = stat()
        #expect(fstat(STDERR_FILENO, &status) == 0)
        let matching = "\(status.st_dev):\(status.st_ino)"
        let other = "\(status.st_dev):\(status.st_ino &+ 1)"
        #expect(LoggingSetup.output(for: .auto, environment: [:]) == .stderr(syslogPrefixes: false))
        #expect(LoggingSetup.output(for: .auto, environment: ["JOURNAL_STREAM": other]) == .stderr(syslogPrefixes: false))
        #expect(LoggingSetup.output(for: .auto, environment: ["JOURNAL_STREAM": matching]) == .journal)
        #expect(LoggingSetup.output(for: .auto, environment: ["JOURNAL_STREAM": "garbage"]) == .stderr(syslogPrefixes: false))
        #expect(LoggingSetup.output(for: .stderr, environment: ["JOURNAL_STREAM": matching]) == .stderr(syslogPrefixes: true))
        #expect(LoggingSetup.output(for: .journal, environment: [:]) == .journal)
        #expect(LoggingSetup.output(for: .journal, environment: ["TRIBUTARY_LOG": "stderr"]) == .stderr(syslogPrefixes: false))
        #expect(LoggingSetup.output(for: .stderr, environment: ["TRIBUTARY_LOG": "journal"]) == .journal)
        #expect(LoggingSetup.output(for: .journal, environment: ["TRIBUTARY_LOG": "loud"]) == .journal)
    }

    @Test("Handlers keep metadata and level per instance, and the call's metadata wins")
    func handlerValueSemantics() {
        var handler = DaemonLogHandler(label: "a", identifier: "tributaryd", output: .journal)
        handler[metadataKey: "datastore"] = "eng"
        var copy = handler
        copy[metadataKey: "datastore"] = "ops"
        copy.logLevel = .debug
        #expect(handler[metadataKey: "datastore"] == "eng")
        #expect(handler.logLevel == .info)
        let merged = mergedMetadata(
            handler: ["datastore": "eng", "state": "ready"], provider: Logger.MetadataProvider { ["state": "paused"] },
            event: ["datastore": "ops"])
        #expect(merged == ["datastore": "ops", "state": "paused"])
    }
}
