import Control
import Foundation
import LogTestSupport
import Testing
import Varlink

/// Issue #13, defects 1, 5, 6 and 7 at the control socket and in `tributaryctl`: each input is
/// refused where it enters, with the limit named, before anything reaches the backend.
@Suite("Issue #13: inputs refused where they enter", .serialized)
struct InputDefectTests {
    private func ctl(_ running: RunningServer, _ arguments: [String], stdin: String? = nil) async throws -> ProcessResult {
        try await runAsync(try Paths.tributaryctl(), ["--socket", running.path] + arguments, stdin: stdin)
    }

    /// The `InvalidParameter` a call ended with, or nil when it succeeded or failed otherwise.
    private func refusal(_ call: () async throws(ControlClientError) -> Void) async -> (parameter: String, message: String)? {
        do {
            try await call()
            return nil
        } catch {
            guard case .control(.invalidParameter(let parameter, let message)) = error else { return nil }
            return (parameter, message)
        }
    }

    private func withClient(_ body: (ControlClient, RunningServer) async throws -> Void) async throws {
        let running = try RunningServer.start()
        let client = try await ControlClient.connect(socketPath: running.path)
        do {
            try await body(client, running)
        } catch {
            client.close()
            await running.stop()
            throw error
        }
        client.close()
        await running.stop()
    }

    @Test("Defect 1 (socket): a resync interval, credit amount or price that would overflow is InvalidParameter naming the limit")
    func overflowingNumbersRefusedAtTheSocket() async throws {
        try await withClient { client, running in
            var changes = DatastoreChanges()
            changes.resyncIntervalSeconds = .max
            let interval = await refusal { () throws(ControlClientError) in _ = try await client.update(name: "handbook", changes: changes) }
            #expect(interval?.parameter == "changes.resyncIntervalSeconds")
            #expect(interval?.message.contains("31536000") == true, "\(String(describing: interval))")

            var spec = DatastoreSpec(name: "eng", url: "https://x.example/wiki/spaces/ENG", email: "a@b", token: "good-token")
            spec.resyncIntervalSeconds = 59
            let created = await refusal { () throws(ControlClientError) in _ = try await client.create(spec) }
            #expect(created?.parameter == "config.resyncIntervalSeconds")

            let added = await refusal { () throws(ControlClientError) in _ = try await client.addCredits(millicredits: .max) }
            #expect(added?.parameter == "millicredits")
            #expect(added?.message.contains("1000000000000000") == true, "\(String(describing: added))")

            var topOff = CreditPolicyChange()
            topOff.autoTopOffEnabled = true
            topOff.autoTopOffAmountMillicredits = 922_337_203_685_477_581
            let amount = await refusal { () throws(ControlClientError) in _ = try await client.setCreditPolicy(topOff) }
            #expect(amount?.parameter == "policy.autoTopOffAmountMillicredits")

            var price = CreditPolicyChange()
            price.millicreditsPerThousandTokens = .max
            let priced = await refusal { () throws(ControlClientError) in _ = try await client.setCreditPolicy(price) }
            #expect(priced?.parameter == "policy.millicreditsPerThousandTokens")
            #expect(priced?.message.contains("1000000000") == true, "\(String(describing: priced))")
            // Nothing out of range reached the backend.
            #expect(await running.backend.addedMillicredits.isEmpty)
            #expect(await running.backend.policyChanges.isEmpty)
        }
    }

    @Test("Defect 5 (socket): a URL with a user name or password is refused, saying where the secret belongs")
    func userinfoRefusedAtTheSocket() async throws {
        try await withClient { client, running in
            let spec = DatastoreSpec(name: "eng", url: "http://user:SECRET@127.0.0.1/wiki/spaces/X", email: "a@b", token: "good-token")
            let created = await refusal { () throws(ControlClientError) in _ = try await client.create(spec) }
            #expect(created?.parameter == "config.url")
            #expect(created?.message.contains("token") == true)
            #expect(created?.message.contains("SECRET") == false)
            var changes = DatastoreChanges()
            changes.url = "https://user@x.example/wiki/spaces/X"
            let updated = await refusal { () throws(ControlClientError) in _ = try await client.update(name: "handbook", changes: changes) }
            #expect(updated?.parameter == "changes.url")
            #expect(await running.backend.specs["eng"] == nil)
            #expect(!running.logs.all.contains { $0.text.contains("SECRET") })
        }
    }

    @Test("Defect 6 (socket): tokenFile is refused; the daemon reads no file for a caller")
    func tokenFileRefusedAtTheSocket() async throws {
        try await withClient { client, running in
            let spec = DatastoreSpec(name: "eng", url: "https://x.example/wiki/spaces/X", email: "a@b", tokenFile: "/etc/shadow")
            let created = await refusal { () throws(ControlClientError) in _ = try await client.create(spec) }
            #expect(created?.parameter == "config.tokenFile")
            #expect(created?.message.contains("--token-file") == true)
            var changes = DatastoreChanges()
            changes.tokenFile = "/root/.ssh/id_ed25519"
            let updated = await refusal { () throws(ControlClientError) in _ = try await client.update(name: "handbook", changes: changes) }
            #expect(updated?.parameter == "changes.tokenFile")
            #expect(await running.backend.specs["eng"] == nil)
            #expect(await running.backend.calls.allSatisfy { $0.method != "update" })
        }
    }

    @Test("Defect 7 (socket): a rate limit below 0.01, a port above 65535 and a token over 64 KiB are InvalidParameter")
    func usageLimitsAtTheSocket() async throws {
        try await withClient { client, _ in
            var changes = DatastoreChanges()
            changes.rateLimit = 0.000_000_1
            let rate = await refusal { () throws(ControlClientError) in _ = try await client.update(name: "handbook", changes: changes) }
            #expect(rate?.parameter == "changes.rateLimit")
            #expect(rate?.message.contains("0.01") == true, "\(String(describing: rate))")

            let port = DatastoreSpec(name: "eng", url: "https://x.example:99999/wiki/spaces/X", email: "a@b", token: "good-token")
            let ported = await refusal { () throws(ControlClientError) in _ = try await client.create(port) }
            #expect(ported?.parameter == "config.url")
            #expect(ported?.message.contains("65535") == true, "\(String(describing: ported))")

            var big = DatastoreChanges()
            big.token = String(repeating: "t", count: 65_537)
            let token = await refusal { () throws(ControlClientError) in _ = try await client.update(name: "handbook", changes: big) }
            #expect(token?.parameter == "changes.token")
            #expect(token?.message.contains("65536") == true, "\(String(describing: token))")
        }
    }

    @Test("Defects 1 and 7 (tributaryctl): out-of-range numbers are usage errors (exit 2) naming the limit")
    func cliNumbers() async throws {
        let running = try RunningServer.start()
        let cases: [([String], String)] = [
            (["update", "handbook", "--resync-interval=9223372036854775807"], "31536000"),
            (["update", "handbook", "--resync-interval", "59"], "60"),
            (["update", "handbook", "--rate-limit", "nan"], "0.01"),
            (["update", "handbook", "--rate-limit", "inf"], "1000"),
            (["update", "handbook", "--rate-limit", "0.0000001"], "0.01"),
            (["credits", "auto-top-off", "--enable", "--amount", "922337203685477.581"], "1000000000000"),
            (["credits", "add", "9223372036854775.807"], "1000000000000"),
            (["credits", "price", "9223372036854775.807"], "1000000"),
            (["update", "handbook", "--url", "https://x.example:99999/wiki/spaces/X"], "65535"),
        ]
        for (arguments, limit) in cases {
            let result = try await ctl(running, arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(limit), "\(arguments): \(result.stderr)")
        }
        #expect(await running.backend.addedMillicredits.isEmpty)
        #expect(await running.backend.policyChanges.isEmpty)
        #expect(await running.backend.calls.allSatisfy { $0.method != "update" })
        await running.stop()
    }

    @Test("Defects 5 and 7 (tributaryctl): a URL with a password and a 10 MB token file are usage errors, the secret unshown")
    func cliURLAndToken() async throws {
        let running = try RunningServer.start()
        let file = "/tmp/tributary-token-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data("good-token\n".utf8).write(to: URL(fileURLWithPath: file))
        let secret = try await ctl(running, [
            "create", "eng", "--url", "http://user:SECRET@127.0.0.1/wiki/spaces/X", "--email", "a@b", "--token-file", file,
        ])
        #expect(secret.status == 2, "\(secret.stderr)")
        #expect(secret.stderr.contains("--token-file"), "\(secret.stderr)")
        #expect(!secret.stderr.contains("SECRET"))
        #expect(await running.backend.specs["eng"] == nil)

        try Data(repeating: UInt8(ascii: "t"), count: 10 << 20).write(to: URL(fileURLWithPath: file))
        let big = try await ctl(running, ["update", "handbook", "--token-file", file])
        #expect(big.status == 2, "\(big.stderr)")
        #expect(big.stderr.contains("64 KiB"), "\(big.stderr)")
        let piped = try await ctl(running, ["update", "handbook", "--token-file", "-"], stdin: String(repeating: "t", count: 70_000))
        #expect(piped.status == 2, "\(piped.stderr)")
        #expect(piped.stderr.contains("64 KiB"), "\(piped.stderr)")
        await running.stop()
    }
}
