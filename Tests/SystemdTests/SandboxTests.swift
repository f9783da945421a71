import Foundation
import Glibc
import SystemdTestSupport
import Testing

/// A loopback HTTP server that answers every request with `200 ok`, on a thread of its own.
private final class LoopbackResponder: Sendable {
    let port: UInt16
    private let descriptor: Int32

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 8) == 0
                    && getsockname(listener, pointer, &length) == 0
            }
        }
        try #require(bound, "cannot listen on 127.0.0.1")
        descriptor = listener
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                var request = [UInt8](repeating: 0, count: 4096)
                _ = recv(connection, &request, request.count, 0)
                let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
                _ = send(connection, response, response.count, Int32(MSG_NOSIGNAL))
                close(connection)
            }
        }
    }

    func stop() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        close(descriptor)
    }
}

/// The shipped tributaryd.service and tributaryd.socket, run by a real systemd 252 as PID 1 of
/// private namespaces, with SystemdProbe (a Swift binary using Foundation, Dispatch, Swift
/// concurrency and libsystemd, like the daemon) as ExecStart. The only change to the units
/// for the test are drop-ins: the probe as ExecStart, the syscall filter set to kill instead of
/// returning EPERM (so a blocked call cannot go unnoticed), no restart, a credential, output
/// files, and (from the harness) no default dependencies and an exit when the service ends.
@Suite("The hardened unit, under a private PID-1 systemd", .serialized)
struct SandboxTests {
    private static let token = "Tq4Zm8Kd2Wx6Rb1Ny5Vc3Lp"

    private func run(execStart: String, url: String = "http://localhost:9/") async throws -> PrivateSystemd.Result {
        let exchange = PrivateSystemd.exchangeDirectory
        let units = [
            PrivateSystemd.UnitFile(name: "tributaryd.service", contents: try Repository.contents("systemd/tributaryd.service")),
            PrivateSystemd.UnitFile(name: "tributaryd.socket", contents: try Repository.contents("systemd/tributaryd.socket")),
            PrivateSystemd.UnitFile(name: "tributaryd.service.d/test.conf", contents: """
                [Unit]
                Wants=tributaryd.socket
                [Service]
                ExecStart=
                ExecStart=\(execStart)
                SystemCallErrorNumber=kill
                Restart=no
                LoadCredential=eng-token:\(exchange)/token
                Environment=PROBE_URL=\(url)
                StandardOutput=file:\(exchange)/report
                StandardError=file:\(exchange)/errors
                """),
        ]
        // The unit under test starts the socket too (Wants=), then the service.
        return try await PrivateSystemd.run(
            unit: "tributaryd.service", units: units, sysusers: [Repository.path("systemd/tributary.sysusers")],
            files: ["token": Self.token])
    }

    private struct Report: Decodable {
        var user: String
        var stateDirectoryWritable: Bool
        var etcWritable: Bool
        var writeExecuteMapping: String
        var executableProtectAfterWrite: String
        var credentialLength: Int
        var credentialProblem: String
        var passedSockets: [String]
        var inetSocket: Bool
        var netlinkSocket: Bool
        var foundation: Bool
        var dispatch: Bool
        var concurrency: Bool
        var threads: Bool
        var processorCount: Int
        var notified: Bool
        var storeGrowths: Int
        var storeProblem: String
        var httpStatus: Int
        var httpProblem: String
    }

    @Test("A Swift binary runs under the full sandbox: syscall filter, MemoryDenyWriteExecute, static user")
    func probeRunsSandboxed() async throws {
        // PrivateTmp= and ProtectHome= hide a build tree under /tmp or /home (a CI clone often
        // lives there), so the unit runs a copy from /var/lib, which the sandbox shows read-only.
        let built = try BuiltProducts.path(of: "SystemdProbe")
        let directory = "/var/lib/tributary-probe-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let probe = directory + "/SystemdProbe"
        try FileManager.default.copyItem(atPath: built, toPath: probe)
        let server = try LoopbackResponder()
        defer { server.stop() }
        let result = try await run(execStart: "\(probe) sandbox", url: "http://localhost:\(server.port)/probe")
        #expect(result.status == 0, "\(result.managerLog.suffix(4000))")
        #expect(!result.managerLog.contains("status=31/SYS"))
        let reportText = try #require(result.files["report"], "no report; errors: \(result.files["errors"] ?? "")")
        let report = try JSONDecoder().decode(Report.self, from: Data(reportText.utf8))
        #expect(report.user == "tributary")
        #expect(report.foundation && report.dispatch && report.concurrency && report.threads)
        #expect(report.processorCount > 0)
        #expect(report.notified, "NOTIFY_SOCKET reached the service")
        #expect(report.stateDirectoryWritable)
        #expect(!report.etcWritable)
        #expect(report.writeExecuteMapping.hasPrefix("denied"))
        #expect(report.executableProtectAfterWrite.hasPrefix("denied"))
        #expect(report.credentialLength == Self.token.utf8.count, "\(report.credentialProblem)")
        #expect(report.passedSockets == ["control"])
        #expect(report.inetSocket)
        #expect(!report.netlinkSocket)
        #expect(report.storeGrowths > 0, "\(report.storeProblem)")
        #expect(report.httpStatus == 200, "\(report.httpProblem)")
        // Type=notify: the manager saw READY=1 from the probe, not a start-up timeout.
        #expect(result.managerLog.contains("tributaryd.service: Changed start -> running"), "\(result.managerLog.suffix(4000))")
        #expect(!(result.files["errors"] ?? "").contains(Self.token))
    }

    @Test("Control: the same unit kills a process that makes a filtered system call")
    func filterIsEnforced() async throws {
        // chroot(2) is in @privileged, which the unit denies.
        let result = try await run(execStart: "/usr/sbin/chroot / /bin/true")
        #expect(result.status != 0)
        #expect(result.managerLog.contains("Main process exited, code=killed, status=31/SYS"), "\(result.managerLog.suffix(4000))")
    }

    @Test("Control: outside the sandbox the probe may map writable+executable memory")
    func probeUnsandboxed() async throws {
        let probe = try BuiltProducts.path(of: "SystemdProbe")
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = nil
        let result = try await Command.run(probe, ["sandbox"], environment: environment)
        #expect(result.status == 0)
        let report = try JSONDecoder().decode(Report.self, from: Data(result.standardOutput.utf8))
        #expect(report.writeExecuteMapping == "allowed")
        #expect(report.netlinkSocket)
    }
}
