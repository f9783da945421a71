import Control
import FakeConfluenceSupport
import Foundation
import Testing

/// Issue #13 against the real daemon: the price survives a restart (defect 4), no file is read
/// for a socket caller (6), URLs with a password and out-of-range numbers are refused (1, 5, 7).
@Suite("Issue #13: inputs, end to end", .serialized)
struct InputHardeningTests {
    @Test("credits price survives a restart over credits_per_1000_tokens; tokenFile and userinfo are refused; an Int.max interval is a usage error")
    func endToEnd() async throws {
        try await FakeConfluence.with(["--generate", "20", "--seed", "6", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let etc = harness.directory + "/etc"
            try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
            try "log = stderr\ncredits_per_1000_tokens = 2\n".write(toFile: etc + "/tributaryd.conf", atomically: true, encoding: .utf8)
            try await harness.startDaemon(extraArguments: ["--config", etc + "/tributaryd.conf"])
            #expect(try await harness.ctl(["credits", "--json"]).json()["millicreditsPerThousandTokens"] as? Int == 2_000)
            let priced = try await harness.ctl(["credits", "price", "0.5"])
            #expect(priced.status == 0, "\(priced.stderr)")
            await harness.stopDaemon()
            try await harness.startDaemon(extraArguments: ["--config", etc + "/tributaryd.conf"])
            #expect(try await harness.ctl(["credits", "--json"]).json()["millicreditsPerThousandTokens"] as? Int == 500,
                    "the configured price replaced the stored one: \(harness.tail())")

            // Over the socket the daemon reads no file for the caller.
            let client = try await ControlClient.connect(socketPath: harness.socketPath)
            defer { client.close() }
            let leak = DatastoreSpec(name: "leak", url: harness.spaceURL, email: DaemonHarness.email, tokenFile: harness.tokenFile)
            do throws(ControlClientError) {
                _ = try await client.create(leak)
                Issue.record("a Create with tokenFile was accepted")
            } catch {
                guard case .control(.invalidParameter(let parameter, _)) = error else { throw error }
                #expect(parameter == "config.tokenFile")
            }
            #expect(try await harness.ctl(["status", "leak"]).status == 3)

            let secretURL = harness.spaceURL.replacingOccurrences(of: "://", with: "://user:SECRET@")
            let secret = try await harness.ctl(["create", "pw", "--url", secretURL, "--email", DaemonHarness.email, "--token-file", harness.tokenFile])
            #expect(secret.status == 2 && !secret.stderr.contains("SECRET"), "\(secret.stderr)")
            try await harness.create("gen")
            let interval = try await harness.ctl(["update", "gen", "--resync-interval=9223372036854775807"])
            #expect(interval.status == 2 && interval.stderr.contains("31536000"), "\(interval.stderr)")
            let listed = try await harness.ctl(["list", "--json"])
            #expect(!listed.stdout.contains("SECRET"))
            #expect(await harness.stopDaemon().status == 0)
            #expect(!harness.tail(1 << 20).contains("SECRET"))
        }
    }
}
