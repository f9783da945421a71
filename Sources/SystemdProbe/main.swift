// A test-support program for SystemdTests.
//
// `SystemdProbe log`: logs a fixed set of events through the process-wide backend that
// `LoggingSetup.bootstrap` picks, with the secret in `$PROBE_SECRET` planted in every way code
// could leak one. The journald harness tests read the result back with journalctl.
//
// `SystemdProbe sandbox`: runs as a hardened service under a private PID-1 systemd. It does
// what the daemon's runtime does (Foundation, Dispatch, Swift concurrency, threads, sockets,
// sd_notify, an LMDB store that grows its map, an HTTP request through libcurl to
// `$PROBE_URL`), probes the sandbox's edges, and prints a JSON report. A system call outside
// the filter kills it with SIGSYS, which the test sees as the unit failing.

import Dispatch
import Foundation
import HTTP
import Logging
import Storage
import Synchronization
import Systemd
import TributaryEvents

switch CommandLine.arguments.dropFirst().first {
case "log": logEvents()
case "sandbox": runSandboxChecks()
default:
    FileHandle.standardError.write(Data("usage: SystemdProbe log|sandbox\n".utf8))
    exit(64)
}

func logEvents() {
    let secret = ProcessInfo.processInfo.environment["PROBE_SECRET"] ?? "probe-secret"
    let output = LoggingSetup.bootstrap(identifier: "tributary-probe", level: .info)
    let logger = Logger(label: "tributary.probe")
    logger.notice(
        "datastore eng is ready",
        metadata: TributaryEvent.datastoreReady.metadata([MetadataKey.datastore: "eng", MetadataKey.pages: "42"]))
    logger.warning(
        "fetching https://bot:\(secret)@example.atlassian.net/wiki failed; token=\(secret)",
        metadata: [
            "pageId": "12345", "job-id": "j-7", "api_token": "\(secret)", "authorization": "Basic \(secret)",
            "credential": .stringConvertible(Redacted(secret)), "site": "https://example.atlassian.net",
        ])
    logger.error(
        "first line\nsecond line",
        metadata: ["blob": .string(String(repeating: "0123456789", count: 30_000) + "\nend"), "datastore": "eng"])
    logger.debug("below the level: never written")
    FileHandle.standardOutput.write(Data("output=\(output)\n".utf8))
}

/// One line of the sandbox report.
struct SandboxReport: Encodable {
    var user = ""
    var stateDirectoryWritable = false
    var etcWritable = true
    var writeExecuteMapping = "allowed"
    var executableProtectAfterWrite = "allowed"
    var credentialLength = -1
    var credentialProblem = ""
    var passedSockets: [String] = []
    var inetSocket = false
    var netlinkSocket = true
    var foundation = false
    var dispatch = false
    var concurrency = false
    var threads = false
    var processorCount = 0
    var notified = false
    var storeGrowths = -1
    var storeProblem = ""
    var httpStatus = -1
    var httpProblem = ""
}

func runSandboxChecks() {
    var report = SandboxReport()
    let notifier = Notifier()
    report.notified = (try? notifier.notify([.status("probing the sandbox")])) ?? false
    if let entry = getpwuid(geteuid()) { report.user = String(cString: entry.pointee.pw_name) }

    // Only the state directory is writable under ProtectSystem=strict.
    if let state = ProcessInfo.processInfo.environment["STATE_DIRECTORY"] {
        report.stateDirectoryWritable = FileManager.default.createFile(atPath: state + "/probe", contents: Data("ok".utf8))
    }
    report.etcWritable = FileManager.default.createFile(atPath: "/etc/tributary-probe", contents: Data())

    // MemoryDenyWriteExecute: no writable+executable mapping, no turning data executable.
    let page = 4096
    let mapping = mmap(nil, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    if mapping == MAP_FAILED {
        report.writeExecuteMapping = "denied: \(String(cString: strerror(errno)))"
    } else {
        munmap(mapping, page)
    }
    if let data = mmap(nil, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), data != MAP_FAILED {
        if mprotect(data, page, PROT_READ | PROT_EXEC) != 0 {
            report.executableProtectAfterWrite = "denied: \(String(cString: strerror(errno)))"
        }
        munmap(data, page)
    }

    // LoadCredential=: readable by the service user, read from $CREDENTIALS_DIRECTORY.
    if let credentials = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"] {
        let descriptor = open(credentials + "/eng-token", O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            report.credentialLength = read(descriptor, &buffer, buffer.count)
            close(descriptor)
        } else {
            report.credentialProblem = "\(credentials)/eng-token: \(String(cString: strerror(errno)))"
        }
    } else {
        report.credentialProblem = "no $CREDENTIALS_DIRECTORY"
    }

    // Socket activation and RestrictAddressFamilies=.
    report.passedSockets = ((try? SocketActivation.passedSockets()) ?? []).map(\.name)
    let inet = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    report.inetSocket = inet >= 0
    if inet >= 0 { close(inet) }
    let netlink = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue), 0)
    report.netlinkSocket = netlink >= 0
    if netlink >= 0 { close(netlink) }

    // Foundation: JSON, dates, UUIDs, file management, process information.
    let encoded = try? JSONEncoder().encode(["date": ISO8601DateFormatter().string(from: Date()), "id": UUID().uuidString])
    let decoded = encoded.flatMap { try? JSONDecoder().decode([String: String].self, from: $0) }
    report.foundation = decoded?["id"]?.count == 36 && !FileManager.default.currentDirectoryPath.isEmpty
    report.processorCount = ProcessInfo.processInfo.activeProcessorCount
    _ = ProcessInfo.processInfo.physicalMemory

    // Dispatch: concurrent work, timers, semaphores.
    let counter = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: 64) { _ in counter.withLock { $0 += 1 } }
    let timerFired = DispatchSemaphore(value: 0)
    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { timerFired.signal() }
    report.dispatch = counter.withLock { $0 } == 64 && timerFired.wait(timeout: .now() + 5) == .success

    // Threads.
    let threadDone = DispatchSemaphore(value: 0)
    Thread.detachNewThread { threadDone.signal() }
    report.threads = threadDone.wait(timeout: .now() + 5) == .success

    // Swift concurrency: a task group, an actor, sleeping.
    let concurrencyDone = DispatchSemaphore(value: 0)
    let concurrencyResult = Mutex(false)
    Task {
        let tally = Tally()
        await withTaskGroup(of: Void.self) { group in
            for value in 1...100 { group.addTask { await tally.add(value) } }
        }
        try? await Task.sleep(for: .milliseconds(10))
        let complete = await tally.total == 5050
        concurrencyResult.withLock { $0 = complete }
        concurrencyDone.signal()
    }
    _ = concurrencyDone.wait(timeout: .now() + 10)
    report.concurrency = concurrencyResult.withLock { $0 }

    // LMDB in the state directory: a small map that must grow (mmap, mremap, msync, flock).
    if let state = ProcessInfo.processInfo.environment["STATE_DIRECTORY"] {
        do {
            let store = try Store(configuration: StoreConfiguration(
                directory: state + "/probe-store", initialMapSize: 1 << 16, maximumMapSize: 1 << 26))
            let table = try store.openTable("probe", keyType: String.self, valueType: String.self)
            let value = String(repeating: "x", count: 1_000)
            for batch in 0..<10 {
                try store.write { transaction in
                    for index in 0..<50 { _ = try transaction.put(table, "\(batch)-\(index)", value) }
                }
            }
            let count = try store.read { try $0.count(table) }
            report.storeGrowths = count == 500 ? store.info().growthCount : -1
        } catch {
            report.storeProblem = "\(error)"
        }
    }

    // libcurl through the HTTP module: name resolution, a connection, a response.
    if let url = ProcessInfo.processInfo.environment["PROBE_URL"] {
        let httpDone = DispatchSemaphore(value: 0)
        let httpResult = Mutex<(Int, String)>((-1, "timed out"))
        Task {
            do {
                let response = try await HTTPClient.shared.send(HTTPRequest(url: url, timeout: .seconds(10)))
                httpResult.withLock { $0 = (response.status, "") }
            } catch {
                httpResult.withLock { $0 = (-1, "\(error)") }
            }
            httpDone.signal()
        }
        _ = httpDone.wait(timeout: .now() + 20)
        (report.httpStatus, report.httpProblem) = httpResult.withLock { $0 }
    }

    // Type=notify: ready, a watchdog ping, then a clean stop.
    _ = try? notifier.notify([.ready, .status("sandbox probed")])
    _ = try? notifier.notify(.watchdog)
    _ = try? notifier.notify(.stopping)

    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    FileHandle.standardOutput.write((try? encoder.encode(report)) ?? Data("{}".utf8))
    FileHandle.standardOutput.write(Data("\n".utf8))
    exit(0)
}

actor Tally {
    var total = 0
    func add(_ value: Int) { total += value }
}
