import Control
import Foundation
import Logging
import LogTestSupport
import Testing

/// Real SO_PEERCRED / SO_PEERGROUPS: tributaryctl runs as uid 65534 (nobody) through setpriv.
@Suite("Authorization by peer credentials", .serialized)
struct PeerCredentialTests {
    @Test("uid 65534 may read but not mutate; the same uid in the admin group may mutate")
    func nobody() async throws {
        try #require(getuid() == 0, "switching to uid 65534 needs root")
        let setpriv = "/usr/bin/setpriv"
        try #require(FileManager.default.isExecutableFile(atPath: setpriv), "setpriv (util-linux) is missing")
        let adminGroup: UInt32 = 4242
        let running = try RunningServer.start(authorizer: Authorizer(privilegedUserIDs: [0], groupID: adminGroup), mode: 0o666)
        let ctl = try Paths.tributaryctl()
        func asNobody(groups: String?, _ arguments: [String]) async throws -> ProcessResult {
            let identity = ["--reuid=65534", "--regid=65534"] + (groups.map { ["--groups=\($0)"] } ?? ["--clear-groups"])
            return try await runAsync(setpriv, identity + [ctl, "--socket", running.path] + arguments)
        }

        let read = try await asNobody(groups: nil, ["list"])
        #expect(read.status == 0, "\(read.stderr)")
        let refused = try await asNobody(groups: nil, ["pause", "handbook"])
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains("permission denied"))
        #expect(await running.backend.statuses["handbook"]?.state == "ready")
        let refusal = running.logs.all.first { $0.level == .warning }
        #expect(refusal?.metadata["uid"] == "65534")

        let member = try await asNobody(groups: "\(adminGroup)", ["pause", "handbook"])
        #expect(member.status == 0, "\(member.stderr)")
        #expect(await running.backend.statuses["handbook"]?.state == "paused")
        let caller = await running.backend.calls.last?.caller
        #expect(caller?.uid == 65534)
        #expect(caller?.gid == 65534)
        await running.stop()
    }
}
