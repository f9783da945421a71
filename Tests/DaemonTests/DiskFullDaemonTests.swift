import FakeConfluenceSupport
import Foundation
import Glibc
import Testing

/// Issue #13 defect 3 end to end: the state directory on a small tmpfs that fills up.
@Suite("Disk full, end to end", .serialized)
struct DiskFullDaemonTests {
    @Test("A full state filesystem pauses with disk_full, health is degraded, and writing resumes by itself once space is freed")
    func fullStateDirectory() async throws {
        let mountPoint = NSTemporaryDirectory() + "tributary-statefs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=8m") == 0 else {
            // Not root, or no CAP_SYS_ADMIN in this container: nothing to test here.
            return
        }
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        try await FakeConfluence.with(["--generate", "300", "--seed", "9", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            // Only the store lives on the small filesystem; the socket and the log stay outside.
            try FileManager.default.createDirectory(atPath: mountPoint + "/state", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: harness.stateDirectory, withDestinationPath: mountPoint + "/state")
            try await harness.startDaemon()
            var info = statvfs()
            #expect(statvfs(mountPoint, &info) == 0)
            let free = Int(info.f_bavail) * Int(info.f_frsize)
            let ballast = mountPoint + "/ballast"
            #expect(FileManager.default.createFile(atPath: ballast, contents: Data(count: max(free - 200_000, 0))))

            try await harness.create()
            // `watch --until ready` ends with status 6 when the datastore pauses.
            let paused = try await harness.ctl(["watch", "gen", "--until", "ready", "--timeout", "120"])
            #expect(paused.status == 6, "\(paused.stderr) \(harness.tail())")
            let status = try await harness.ctl(["status", "gen", "--json"])
            #expect(status.stdout.contains("disk_full"), "\(status.stdout)")
            let pages = try status.json()["pages"] as? [String: Any]
            #expect(pages?["failed"] as? Int ?? 0 == 0)
            let health = try await harness.ctl(["health", "--json"]).json()
            #expect(health["status"] as? String == "degraded")
            #expect("\(health["problems"] ?? "")".contains("disk_full"))

            // Space comes back: the daemon notices within a minute, with no restart.
            try FileManager.default.removeItem(atPath: ballast)
            var ready: [String: Any] = [:]
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline {
                ready = try await harness.ctl(["status", "gen", "--json"]).json()
                if ready["state"] as? String == "ready" { break }
                try await Task.sleep(for: .seconds(1))
            }
            #expect(ready["state"] as? String == "ready", "\(ready) \(harness.tail())")
            #expect((ready["pages"] as? [String: Any])?["failed"] as? Int ?? 0 == 0)
            #expect(try await harness.ctl(["health", "--json"]).json()["status"] as? String == "ok")
            _ = await harness.stopDaemon()
        }
    }
}
