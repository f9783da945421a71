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
            try await ShippedUnitsRun.withBinaries { shippedUnits in
                let exchange = shippedUnits.exchange
                let ctl = shippedUnits.ctl
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
                let result = try await shippedUnits.run(credentialLine: "LoadCredential=hb-token:\(exchange)/token", files: files)
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
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
