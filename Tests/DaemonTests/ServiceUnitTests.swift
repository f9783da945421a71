import FakeConfluenceSupport
import Foundation
import SystemdTestSupport
import Testing

/// The real tributaryd under the shipped tributaryd.service and tributaryd.socket, run by a
/// private PID-1 systemd 252 (see ``PrivateSystemd``): socket activation on the first
/// connection, the static user, the full sandbox with the syscall filter set to kill, a token
/// passed with `LoadCredential=`, a declarative datastore, Type=notify start, reload and a
/// graceful stop. A oneshot check unit plays the administrator with tributaryctl and systemctl.
@Suite("tributaryd under the shipped units, in a private systemd", .serialized)
struct ServiceUnitTests {
    @Test("Socket-activated tributaryd syncs a space in the full sandbox; reload and stop are clean")
    func serviceLifecycle() async throws {
        let token = "svc-\(UUID().uuidString.prefix(16))"
        try await FakeConfluence.with(["--sample", "--email", DaemonHarness.email, "--token", token]) { fake in
            // PrivateTmp= and ProtectHome= hide a build tree under /tmp or /home (CI clones live
            // there), so the units run copies from /var/lib, which the sandbox shows read-only.
            let binaries = "/var/lib/tributary-service-test-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: binaries, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            defer { try? FileManager.default.removeItem(atPath: binaries) }
            for name in ["tributaryd", "tributaryctl"] {
                try FileManager.default.copyItem(atPath: DaemonHarness.binaries.appendingPathComponent(name).path,
                                                 toPath: binaries + "/" + name)
            }
            let exchange = PrivateSystemd.exchangeDirectory
            let repository = FakeConfluence.repositoryRoot
            func shipped(_ path: String) throws -> String {
                try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
            }
            let ctl = "\(binaries)/tributaryctl --socket /run/tributary/control.sock"
            let check = """
                set -u
                out=\(exchange)
                systemctl is-active tributaryd.service >$out/before-activation
                stat -c '%U:%G %a' /run/tributary/control.sock >$out/socket-owner
                \(ctl) health --json >$out/health.json || exit 10
                \(ctl) watch hb --until ready --timeout 60 >/dev/null || exit 11
                \(ctl) status hb --json >$out/status.json || exit 12
                \(ctl) search hb "rotate the database credentials" --limit 3 --json >$out/search.json || exit 13
                pid=$(systemctl show -p MainPID --value tributaryd.service)
                stat -c %U /proc/$pid >$out/main-user
                # STATUS= follows the engine within a few seconds.
                for i in $(seq 100); do
                    systemctl show -p StatusText --value tributaryd.service >$out/status-text
                    grep -q ready $out/status-text && break; sleep 0.1
                done
                systemctl reload tributaryd.service || exit 14
                systemctl is-active tributaryd.service >$out/after-reload
                \(ctl) list --json >/dev/null || exit 15
                systemctl stop tributaryd.service || exit 16
                systemctl show -p Result -p ExecMainCode -p ExecMainStatus tributaryd.service >$out/stopped
                """
            let units = [
                PrivateSystemd.UnitFile(name: "tributaryd.service", contents: try shipped("systemd/tributaryd.service")),
                PrivateSystemd.UnitFile(name: "tributaryd.socket", contents: try shipped("systemd/tributaryd.socket")),
                PrivateSystemd.UnitFile(name: "tributaryd.service.d/test.conf", contents: """
                    [Service]
                    ExecStart=
                    ExecStart=\(binaries)/tributaryd --state-dir ${STATE_DIRECTORY} --config \(exchange)/tributaryd.conf
                    SystemCallErrorNumber=kill
                    Restart=no
                    LoadCredential=hb-token:\(exchange)/token
                    StandardOutput=append:\(exchange)/daemon.log
                    StandardError=append:\(exchange)/daemon.log
                    """),
                PrivateSystemd.UnitFile(name: "tributary-check.service", contents: """
                    [Unit]
                    Requires=tributaryd.socket
                    After=tributaryd.socket
                    [Service]
                    Type=oneshot
                    ExecStart=/bin/bash \(exchange)/check.sh
                    StandardOutput=file:\(exchange)/check.out
                    StandardError=file:\(exchange)/check.err
                    """),
            ]
            let files = [
                "token": token,
                "check.sh": check,
                "tributaryd.conf": "log = auto\ndefault_rate_limit = 50\n",
                "datastores.d/hb.conf": """
                    url = \(fake.origin)/wiki/spaces/HB
                    email = \(DaemonHarness.email)
                    token_credential = hb-token
                    """,
            ]
            let result = try await PrivateSystemd.run(
                unit: "tributary-check.service", units: units,
                sysusers: [repository.appendingPathComponent("systemd/tributary.sysusers").path],
                files: files, timeout: .seconds(150))
            let log = result.files["daemon.log"] ?? ""
            let context = "check: \(result.files["check.err"] ?? "") daemon: \(log.suffix(3000)) manager: \(result.managerLog.suffix(3000))"
            #expect(result.status == 0, "\(context)")
            #expect(!result.managerLog.contains("status=31/SYS"), "a system call was filtered: \(context)")

            // Socket activation: the socket unit owned the path, the service started on the first connection.
            #expect(result.files["before-activation"]?.trimmed == "inactive", "\(context)")
            #expect(result.files["socket-owner"]?.trimmed == "tributary:tributary 660")
            #expect(log.contains("serving the control socket passed by systemd"), "\(context)")
            // Type=notify: running only after READY=1; the sandboxed process runs as the static user.
            #expect(result.managerLog.contains("tributaryd.service: Changed start -> running"), "\(context)")
            #expect(result.files["main-user"]?.trimmed == "tributary")
            #expect(result.files["status-text"]?.trimmed == "1 datastore: 1 ready", "\(result.files["status-text"] ?? "")")

            // The declarative datastore with its LoadCredential= token synced the sample space.
            let status = try JSONSerialization.jsonObject(with: Data((result.files["status.json"] ?? "").utf8)) as? [String: Any]
            #expect(status?["state"] as? String == "ready", "\(String(describing: status))")
            let pages = status?["pages"] as? [String: Any]
            #expect(pages?["indexed"] as? Int == 49, "\(String(describing: pages))")
            let search = try JSONSerialization.jsonObject(with: Data((result.files["search.json"] ?? "").utf8)) as? [String: Any]
            let hits = search?["results"] as? [[String: Any]] ?? []
            #expect(hits.first?["title"] as? String == "Runbook: PostgreSQL", "\(hits)")

            // Reload (RELOADING=1 … READY=1) and a graceful stop within TimeoutStopSec=.
            #expect(result.files["after-reload"]?.trimmed == "active")
            #expect(result.managerLog.contains("tributaryd.service: Changed reload -> running"), "\(context)")
            let stopped = result.files["stopped"] ?? ""
            #expect(stopped.contains("Result=success") && stopped.contains("ExecMainStatus=0"), "\(stopped) \(context)")
            #expect(!log.contains(token) && !result.managerLog.contains(token), "the token reached a log")
        }
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
