import Foundation
import SystemdTestSupport
import Testing

/// The unit files as shipped, checked by systemd's own tools (no PID-1 systemd needed).
@Suite("Unit files", .serialized)
struct UnitFileTests {
    /// A copy of the units whose ExecStart= names an executable that exists here, since
    /// `systemd-analyze verify` rejects a missing one; every other line is as shipped.
    private func stagedUnits() throws -> String {
        let directory = NSTemporaryDirectory() + "/tributary-units-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let service = try Repository.contents("systemd/tributaryd.service")
        #expect(service.contains("ExecStart=/usr/local/bin/tributaryd "))
        try service.replacingOccurrences(of: "ExecStart=/usr/local/bin/tributaryd ", with: "ExecStart=/bin/true ")
            .write(toFile: directory + "/tributaryd.service", atomically: false, encoding: .utf8)
        try FileManager.default.copyItem(
            atPath: Repository.path("systemd/tributaryd.socket"), toPath: directory + "/tributaryd.socket")
        return directory
    }

    @Test("systemd-analyze verify accepts the service and socket without a single complaint")
    func verify() async throws {
        let directory = try stagedUnits()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await Command.run(
            "/usr/bin/systemd-analyze",
            ["verify", "--man=no", directory + "/tributaryd.service", directory + "/tributaryd.socket"])
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty, "\(result.standardError)")
        #expect(result.standardOutput.isEmpty, "\(result.standardOutput)")
    }

    @Test("systemd-analyze verify does catch a broken unit (the check above can fail)")
    func verifyCatchesMistakes() async throws {
        let directory = try stagedUnits()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tributaryd.service"
        try (try String(contentsOfFile: path, encoding: .utf8)).replacingOccurrences(of: "Type=notify", with: "Type=notiffy")
            .write(toFile: path, atomically: false, encoding: .utf8)
        let result = try await Command.run("/usr/bin/systemd-analyze", ["verify", "--man=no", path])
        #expect(!result.standardError.isEmpty)
    }

    @Test("systemd-analyze security --offline rates the service 1.5 or lower")
    func exposure() async throws {
        let directory = try stagedUnits()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await Command.run(
            "/usr/bin/systemd-analyze", ["security", "--offline=true", "--no-pager", directory + "/tributaryd.service"])
        // "→ Overall exposure level for tributaryd.service: 1.2 OK 🙂"
        let line = try #require(result.standardOutput.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let number = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(number <= 1.5, "\(line)")
        #expect(result.status == 0)
    }

    @Test("The socket is 0660 for group tributary, named control, and matches the daemon's default path")
    func socketSettings() throws {
        let socket = try Repository.contents("systemd/tributaryd.socket")
        for line in ["ListenStream=/run/tributary/control.sock", "FileDescriptorName=control", "SocketMode=0660",
                     "SocketGroup=tributary", "Service=tributaryd.service"] {
            #expect(socket.split(separator: "\n").contains { $0 == line }, "\(line)")
        }
        let config = try Repository.contents("etc/tributary/tributaryd.conf")
        #expect(config.contains("socket = /run/tributary/control.sock"))
        // The unit's user comes from the sysusers.d file.
        let sysusers = try Repository.contents("systemd/tributary.sysusers")
        #expect(sysusers.split(separator: "\n").contains { $0.hasPrefix("u tributary ") })
        #expect(try Repository.contents("systemd/tributaryd.service").contains("\nUser=tributary\n"))
    }
}
