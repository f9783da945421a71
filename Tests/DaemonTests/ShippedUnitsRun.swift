import FakeConfluenceSupport
import Foundation
import SystemdTestSupport

/// The shipped tributaryd.service and tributaryd.socket in a private systemd, running copies of
/// the test build, with a test drop-in and a oneshot `tributary-check.service` that runs
/// `check.sh` as the administrator would.
struct ShippedUnitsRun {
    /// Where the copies of tributaryd and tributaryctl are.
    let binaries: String
    /// Files written before the run and read after it (the check's outputs, the daemon log).
    let exchange = PrivateSystemd.exchangeDirectory
    /// tributaryctl on the shipped socket.
    var ctl: String { "\(binaries)/tributaryctl --socket /run/tributary/control.sock" }

    /// Copies the binaries under /var/lib for `body`: PrivateTmp= and ProtectHome= hide a build
    /// tree under /tmp or /home (CI clones live there), and the sandbox shows /var/lib read-only.
    static func withBinaries<T>(_ body: (ShippedUnitsRun) async throws -> T) async throws -> T {
        let binaries = "/var/lib/tributary-service-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: binaries, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: binaries) }
        for name in ["tributaryd", "tributaryctl"] {
            try FileManager.default.copyItem(atPath: DaemonHarness.binaries.appendingPathComponent(name).path,
                                             toPath: binaries + "/" + name)
        }
        return try await body(ShippedUnitsRun(binaries: binaries))
    }

    /// Runs the check unit against the shipped units. `credentialLine` is the drop-in's
    /// `LoadCredential=` or `LoadCredentialEncrypted=` line; `files` go to the exchange directory
    /// (`check.sh` and `tributaryd.conf` among them).
    func run(credentialLine: String, files: [String: String], timeout: Duration = .seconds(150)) async throws -> PrivateSystemd.Result {
        let repository = FakeConfluence.repositoryRoot
        func shipped(_ path: String) throws -> String {
            try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
        }
        let units = [
            PrivateSystemd.UnitFile(name: "tributaryd.service", contents: try shipped("systemd/tributaryd.service")),
            PrivateSystemd.UnitFile(name: "tributaryd.socket", contents: try shipped("systemd/tributaryd.socket")),
            PrivateSystemd.UnitFile(name: "tributaryd.service.d/test.conf", contents: """
                [Service]
                ExecStart=
                ExecStart=\(binaries)/tributaryd --state-dir ${STATE_DIRECTORY} --config \(exchange)/tributaryd.conf
                SystemCallErrorNumber=kill
                Restart=no
                \(credentialLine)
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
        return try await PrivateSystemd.run(
            unit: "tributary-check.service", units: units,
            sysusers: [repository.appendingPathComponent("systemd/tributary.sysusers").path],
            files: files, timeout: timeout)
    }
}
