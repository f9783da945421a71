import FakeConfluenceSupport
import Foundation
import SystemdTestSupport
import Testing

/// Issue #13 ("Also"): with `secrets_key_credential` the API token rests sealed in data.mdb.
@Suite("Secrets sealed at rest, end to end", .serialized)
struct SecretsAtRestTests {
    static let credentialName = "tributary-secrets-key"

    /// `etc/tributaryd.conf` naming the key credential, and a credentials directory holding a
    /// fresh 32-byte key, as systemd's LoadCredentialEncrypted= would present it.
    func sealingSetup(_ harness: DaemonHarness) throws -> (arguments: [String], environment: [String: String]) {
        let etc = harness.directory + "/etc"
        let credentials = harness.directory + "/credentials"
        try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try "secrets_key_credential = \(Self.credentialName)\n".write(toFile: etc + "/tributaryd.conf", atomically: true, encoding: .utf8)
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        try key.write(to: URL(fileURLWithPath: credentials + "/" + Self.credentialName))
        return (["--config", etc + "/tributaryd.conf"], ["CREDENTIALS_DIRECTORY": credentials])
    }

    /// Whether the token's bytes appear anywhere in the state directory's files.
    func stateContainsToken(_ harness: DaemonHarness) throws -> Bool {
        let token = Data(DaemonHarness.token.utf8)
        let files = try FileManager.default.contentsOfDirectory(atPath: harness.stateDirectory)
        #expect(files.contains("data.mdb"))
        return try files.contains { name in
            try Data(contentsOf: URL(fileURLWithPath: harness.stateDirectory + "/" + name)).range(of: token) != nil
        }
    }

    @Test("With a key credential the token is not in data.mdb in clear text and the sync works; without one it is (the check can fail)")
    func sealedAtRest() async throws {
        try await FakeConfluence.with(["--generate", "20", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let sealed = try DaemonHarness(fake: fake)
            defer { sealed.remove() }
            let setup = try sealingSetup(sealed)
            try await sealed.startDaemon(extraArguments: setup.arguments, environment: setup.environment)
            try await sealed.create()
            try await sealed.waitReady()
            let search = try await sealed.ctl(["search", "gen", "the", "--limit", "1", "--json"])
            #expect(search.status == 0, "\(search.stderr)")
            #expect(await sealed.stopDaemon().status == 0)
            #expect(try !stateContainsToken(sealed), "the token rests in clear text")
            #expect(sealed.tail(1 << 20).contains("stored secrets are sealed with the key in the systemd credential \(Self.credentialName)"))
            #expect(!sealed.tail(1 << 20).contains(DaemonHarness.token))

            // The control: without a key the same token is found by the same check.
            let plain = try DaemonHarness(fake: fake)
            defer { plain.remove() }
            try await plain.startDaemon()
            try await plain.create()
            try await plain.waitReady()
            #expect(await plain.stopDaemon().status == 0)
            #expect(try stateContainsToken(plain), "the check cannot see a token in clear text")

            // Configuring a key seals the stored token at the next start, and syncs still sign in.
            let migration = try sealingSetup(plain)
            try await plain.startDaemon(extraArguments: migration.arguments, environment: migration.environment)
            #expect(plain.tail(1 << 20).contains("sealed 1 stored secrets with the configured key"), "\(plain.tail())")
            #expect(try await plain.ctl(["resync", "gen"]).status == 0)
            try await plain.waitReady()
            let status = try await plain.ctl(["status", "gen", "--json"]).json()
            #expect(status["state"] as? String == "ready", "\(status)")
            #expect(await plain.stopDaemon().status == 0)
            #expect(!plain.tail(1 << 20).contains(DaemonHarness.token))
        }
    }

    @Test("A key credential that is missing or not 32 bytes stops the start with a clear message (exit 78), never the key")
    func badKey() async throws {
        try await FakeConfluence.with(["--generate", "1", "--email", DaemonHarness.email, "--token", DaemonHarness.token]) { fake in
            let harness = try DaemonHarness(fake: fake)
            defer { harness.remove() }
            let setup = try sealingSetup(harness)
            let keyPath = try #require(setup.environment["CREDENTIALS_DIRECTORY"]) + "/" + Self.credentialName
            try "short-key".write(toFile: keyPath, atomically: true, encoding: .utf8)
            await #expect(throws: DaemonTestError.self) {
                try await harness.startDaemon(extraArguments: setup.arguments, environment: setup.environment)
            }
            #expect(harness.daemon?.terminationStatus == 78)
            #expect(harness.tail().contains("holds 9 bytes; the secrets key must be 32 random bytes or 64 hexadecimal digits"), "\(harness.tail())")
            #expect(!harness.tail().contains("short-key"))
            await #expect(throws: DaemonTestError.self) {
                try await harness.startDaemon(extraArguments: setup.arguments)
            }
            #expect(harness.tail().contains("has no $CREDENTIALS_DIRECTORY"), "\(harness.tail())")
        }
    }
}

/// The documented set-up, under the shipped units in a private systemd: a key made with
/// `systemd-creds encrypt` (this host's key), passed with `LoadCredentialEncrypted=`, seals a
/// token set over the socket, in the full sandbox.
@Suite("Secrets sealed at rest under the shipped units", .serialized)
struct SecretsAtRestServiceTests {
    @Test("LoadCredentialEncrypted= key: the token set with tributaryctl is not in data.mdb and the datastore syncs")
    func encryptedCredential() async throws {
        let token = "svc-sealed-\(UUID().uuidString.prefix(16))"
        try await FakeConfluence.with(["--generate", "20", "--email", DaemonHarness.email, "--token", token]) { fake in
            try await ShippedUnitsRun.withBinaries { shippedUnits in
                let exchange = shippedUnits.exchange
                let ctl = shippedUnits.ctl
                // The key is made inside the private systemd, as the README says, before the first
                // connection starts the service.
                let check = """
                    set -u
                    out=\(exchange)
                    head -c 32 /dev/urandom | systemd-creds encrypt --with-key=host --name=tributary-secrets-key - \
                        $out/secrets-key.cred 2>$out/creds.err || exit 9
                    \(ctl) create gen --url \(fake.origin)/wiki/spaces/GEN --email \(DaemonHarness.email) --token-file $out/token || exit 10
                    \(ctl) watch gen --until ready --timeout 60 >/dev/null || exit 11
                    \(ctl) status gen --json >$out/status.json || exit 12
                    systemctl stop tributaryd.service || exit 13
                    state=/var/lib/tributary
                    [ -d /var/lib/private/tributary ] && state=/var/lib/private/tributary
                    ls $state >$out/state-files
                    if grep -q -F -r "$(cat $out/token)" $state; then echo found >$out/grep; else echo absent >$out/grep; fi
                    """
                let files = [
                    "token": token,
                    "check.sh": check,
                    "tributaryd.conf": "log = auto\ndefault_rate_limit = 50\nsecrets_key_credential = tributary-secrets-key\n",
                ]
                let result = try await shippedUnits.run(credentialLine: "LoadCredentialEncrypted=tributary-secrets-key:\(exchange)/secrets-key.cred", files: files)
                let log = result.files["daemon.log"] ?? ""
                let context = "check: \(result.files["check.err"] ?? "") \(result.files["creds.err"] ?? "") daemon: \(log.suffix(3000)) manager: \(result.managerLog.suffix(3000))"
                #expect(result.status == 0, "\(context)")
                #expect(!result.managerLog.contains("status=31/SYS"), "a system call was filtered: \(context)")
                #expect(log.contains("stored secrets are sealed with the key in the systemd credential tributary-secrets-key"), "\(context)")
                let status = try JSONSerialization.jsonObject(with: Data((result.files["status.json"] ?? "").utf8)) as? [String: Any]
                #expect(status?["state"] as? String == "ready", "\(String(describing: status)) \(context)")
                #expect(result.files["state-files"]?.contains("data.mdb") == true, "\(result.files["state-files"] ?? "")")
                #expect(result.files["grep"]?.trimmingCharacters(in: .whitespacesAndNewlines) == "absent", "the token rests in clear text")
                #expect(!log.contains(token) && !result.managerLog.contains(token), "the token reached a log")
            }
        }
    }
}
