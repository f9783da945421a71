import Foundation

/// A private systemd-journald for tests: the command runs in a new mount and PID namespace
/// where tmpfs hides the host's `/run/systemd`, `/run/log` and `/var/log/journal`, and a fresh
/// `systemd-journald` listens on `/run/systemd/journal/{socket,stdout}`. Afterwards the harness
/// syncs and stops journald and returns what `journalctl -o json --all` shows.
///
/// Needs root (mount namespaces), `unshare` and systemd's journald; PID 1 need not be systemd.
/// The PID namespace guarantees journald and any leftover child die with the run.
///
/// To exercise the daemon while it runs, make `command` a shell script that starts it in the
/// background, drives it (for instance with `tributaryctl`), then stops it:
/// `["/bin/sh", "-c", "tributaryd --state-dir $D & pid=$!; …; kill $pid; wait $pid"]`.
public enum PrivateJournal {
    /// Where the command's stdout and stderr go.
    public enum Output: Sendable, Equatable {
        /// Into files, returned as ``Result/standardOutput`` and ``Result/standardError``.
        case files
        /// Into a journal stream, as systemd connects a service's stdout/stderr, with
        /// `$JOURNAL_STREAM` naming it. Lines get `SYSLOG_IDENTIFIER=identifier`.
        case journalStream(identifier: String)
    }

    /// What the run left behind.
    public struct Result: Sendable {
        /// The command's exit status (124 when the time limit killed it).
        public var status: Int32
        /// The entries the command (and anything it started) logged, in order; journald's own
        /// start/stop notes and kernel/audit records are left out.
        public var entries: [JournalRecord]
        /// The command's stdout (empty with ``Output/journalStream(identifier:)``).
        public var standardOutput: String
        /// The command's stderr (empty with ``Output/journalStream(identifier:)``).
        public var standardError: String
        /// journald's own stderr, for diagnosing a harness failure.
        public var journaldLog: String

        /// The entries with `SYSLOG_IDENTIFIER=identifier`.
        public func entries(identifier: String) -> [JournalRecord] {
            entries.filter { $0["SYSLOG_IDENTIFIER"] == identifier }
        }
    }

    /// Runs `command` (a path and its arguments) under a private journald. Blocks: from async
    /// code use ``run(_:environment:output:timeout:)-async``.
    public static func runBlocking(
        _ command: [String], environment: [String: String]? = nil, output: Output = .files,
        timeout: Duration = .seconds(60)
    ) throws -> Result {
        guard getuid() == 0 else { throw HarnessError("the private journald needs root (mount namespaces)") }
        guard let journald = Command.firstExecutable(["/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"]) else {
            throw HarnessError("systemd-journald is not installed")
        }
        let work = try temporaryDirectory(prefix: "tributary-journal")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let identifier: String
        switch output {
        case .files: identifier = ""
        case .journalStream(let name): identifier = name
        }
        let seconds = Int(timeout.timeInterval.rounded(.up))
        let run = try Command.runBlocking(
            "/usr/bin/unshare",
            ["--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private",
             "/bin/bash", "-c", script, "bash", work, journald, identifier, String(seconds)] + command,
            environment: environment, timeout: timeout + .seconds(30))
        let read = { (name: String) in (try? String(contentsOfFile: work + "/" + name, encoding: .utf8)) ?? "" }
        guard let status = Int32(read("status").trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError(
                "the private journald run did not finish (exit \(run.status)): \(run.standardError)\n\(read("journald.log"))")
        }
        let entries = try JournalRecord.parse(jsonLines: read("journal.json")).filter { entry in
            !["driver", "kernel", "audit"].contains(entry["_TRANSPORT"] ?? "")
        }
        return Result(
            status: status, entries: entries, standardOutput: read("stdout"), standardError: read("stderr"),
            journaldLog: read("journald.log"))
    }

    /// ``runBlocking(_:environment:output:timeout:)`` on a thread of its own.
    public static func run(
        _ command: [String], environment: [String: String]? = nil, output: Output = .files,
        timeout: Duration = .seconds(60)
    ) async throws -> Result {
        try await onDedicatedThread {
            try runBlocking(command, environment: environment, output: output, timeout: timeout)
        }
    }

    /// Runs as PID 1 of the new namespaces: $1 work directory, $2 journald, $3 stream identifier
    /// (empty: files), $4 time limit in seconds, then the command.
    private static let script = #"""
        set -u
        work="$1" journald="$2" identifier="$3" limit="$4"
        shift 4
        fail() { echo "$*" >&2; exit 125; }
        # Hide the host's journal sockets, journals and configuration drop-ins under /run.
        mkdir -p /run/systemd /run/log || fail "cannot create /run/systemd"
        mount -t tmpfs -o mode=0755 tributary-journal /run/systemd || fail "cannot mount /run/systemd"
        mount -t tmpfs -o mode=0755 tributary-journal /run/log || fail "cannot mount /run/log"
        if [ -d /var/log/journal ]; then
            mount -t tmpfs -o mode=2755 tributary-journal /var/log/journal || fail "cannot mount /var/log/journal"
        fi
        mkdir -p /run/systemd/journal /run/systemd/journald.conf.d
        # Volatile, unthrottled, nothing forwarded, no kernel messages; sorted after host drop-ins.
        cat > /run/systemd/journald.conf.d/zz-tributary-harness.conf <<'CONF'
        [Journal]
        Storage=volatile
        ReadKMsg=no
        RateLimitIntervalSec=0
        ForwardToSyslog=no
        ForwardToKMsg=no
        ForwardToConsole=no
        ForwardToWall=no
        MaxLevelStore=debug
        CONF
        env -u NOTIFY_SOCKET -u WATCHDOG_USEC -u WATCHDOG_PID -u LISTEN_FDS -u LISTEN_PID -u LISTEN_FDNAMES \
            "$journald" >"$work/journald.log" 2>&1 &
        journald_pid=$!
        for _ in $(seq 200); do [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/stdout ] && break; sleep 0.05; done
        [ -S /run/systemd/journal/socket ] || fail "systemd-journald did not start: $(cat "$work/journald.log")"
        if [ -z "$identifier" ]; then
            timeout --kill-after=5 "$limit" "$@" >"$work/stdout" 2>"$work/stderr" </dev/null
            status=$?
        else
            # What systemd does for a service: stdout and stderr on one journal stream, and
            # $JOURNAL_STREAM holding its device:inode.
            timeout --kill-after=5 "$limit" systemd-cat --identifier="$identifier" -- /bin/sh -c \
                'JOURNAL_STREAM="$(stat -L -c %d:%i /proc/self/fd/2)"; export JOURNAL_STREAM; exec "$@"' sh "$@" </dev/null
            status=$?
        fi
        journalctl --sync >/dev/null 2>&1 || sleep 0.5
        kill -TERM "$journald_pid"
        wait "$journald_pid"
        journalctl --directory=/run/log/journal --output=json --all --no-pager >"$work/journal.json" 2>>"$work/journald.log"
        echo "$status" >"$work/status"
        """#
}
