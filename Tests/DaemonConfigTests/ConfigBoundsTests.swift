import Foundation
import InputLimits
import Testing
@testable import DaemonConfig
@testable import Engine

/// Issue #13's property test for configuration files: every numeric key of `tributaryd.conf`
/// and `datastores.d` at its bounds, just past them, at Int64.max, negative, NaN and ±infinity.
@Suite("Issue #13: every numeric configuration key at its bounds")
struct ConfigBoundsTests {
    struct Key {
        var key: String
        var range: ClosedRange<Double>
        /// Lines the key needs beside it.
        var context: String = ""
        var integer = false
    }

    static let daemonKeys: [Key] = [
        Key(key: "max_concurrent_datastores", range: 1...64, integer: true),
        Key(key: "default_rate_limit", range: Limits.rateLimit.bounds),
        Key(key: "credits_per_1000_tokens", range: Limits.millicreditsPerThousandTokens.inCredits),
        Key(key: "initial_credits", range: Limits.policyMillicredits.inCredits),
        Key(key: "auto_top_off_amount", range: Limits.policyMillicredits.inCredits),
        Key(key: "auto_top_off_threshold", range: Limits.policyMillicredits.inCredits, context: "auto_top_off_amount = 1"),
        Key(key: "auto_top_off_monthly_cap", range: Limits.policyMillicredits.inCredits, context: "auto_top_off_amount = 1"),
        Key(key: "llm_price", range: Limits.millicreditsPerThousandTokens.inCredits,
            context: "llm_url = http://127.0.0.1:9/v1\nllm_model = m"),
        Key(key: "llm_timeout", range: Double(ModelConfiguration.timeoutRange.lowerBound)...Double(ModelConfiguration.timeoutRange.upperBound),
            context: "llm_url = http://127.0.0.1:9/v1\nllm_model = m", integer: true),
    ]

    static let datastoreKeys: [Key] = [
        Key(key: "resync_interval", range: Double(Limits.resyncIntervalSeconds.lowerBound)...Double(Limits.resyncIntervalSeconds.upperBound),
            integer: true),
        Key(key: "rate_limit", range: Limits.rateLimit.bounds),
        Key(key: "max_attachment_bytes", range: Double(Limits.attachmentBytes.lowerBound)...Double(Limits.attachmentBytes.upperBound),
            integer: true),
        Key(key: "max_attachment_chars",
            range: Double(Limits.attachmentCharacters.lowerBound)...Double(Limits.attachmentCharacters.upperBound), integer: true),
    ]

    static func probes(_ key: Key) -> [(String, Bool)] {
        let (low, high) = (key.range.lowerBound, key.range.upperBound)
        if key.integer {
            let values: [Int64] = [Int64(low) - 1, Int64(low), Int64(high), Int64(high) + 1, .max, -1]
            return values.map { ("\($0)", key.range.contains(Double($0))) } + [("99999999999999999999", false)]
        }
        let below = low > 0 ? low / 2 : -0.001
        let values = [below, low, high, high + 1, Double(Int64.max), -1]
        return values.map { ("\($0)", key.range.contains($0)) } + [("nan", false), ("inf", false), ("-inf", false), ("1e999", false)]
    }

    func directory() throws -> String {
        let directory = NSTemporaryDirectory() + "tributary-bounds-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// In range loads; out of range is a ConfigError on the key's line naming the range; no trap.
    func check(_ key: Key, load: (String) throws(ConfigError) -> Void, file: (String) -> String, directory: String) throws {
        for (value, inRange) in Self.probes(key) {
            let text = "\(key.key) = \(value)\n" + key.context + "\n"
            let path = file(directory)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do throws(ConfigError) {
                try load(path)
                #expect(inRange, "\(key.key) = \(value) was accepted")
            } catch {
                #expect(!inRange, "\(key.key) = \(value) was refused: \(error)")
                #expect(error.line == 1, "\(error)")
                let upper = key.integer ? "\(Int64(key.range.upperBound))" : "\(key.range.upperBound)"
                #expect(error.message.contains(key.key) && error.message.contains(upper), "\(error)")
            }
        }
    }

    @Test("tributaryd.conf: every numeric key")
    func daemonFile() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for key in Self.daemonKeys {
            try check(key, load: { path throws(ConfigError) in _ = try DaemonConfiguration.load(path: path) },
                      file: { $0 + "/tributaryd.conf" }, directory: directory)
        }
    }

    @Test("datastores.d: every numeric key")
    func datastoreFile() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for var key in Self.datastoreKeys {
            key.context = "url = https://x.example/wiki/spaces/ENG\nemail = a@b\ntoken_file = /run/t"
            try check(key, load: { path throws(ConfigError) in _ = try DatastoreConfiguration.load(path: path) },
                      file: { $0 + "/eng.conf" }, directory: directory)
        }
    }

    @Test("datastores.d: a URL with a password or a port past 65535 is refused on its line; token_file still works")
    func datastoreURL() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eng.conf"
        for (url, refused) in [("https://user:SECRET@x.example/wiki/spaces/ENG", "token_file"),
                               ("https://x.example:99999/wiki/spaces/ENG", "65535"),
                               ("https://x.example:65535/wiki/spaces/ENG", nil)] {
            try "email = a@b\nurl = \(url)\ntoken_file = /run/t\n".write(toFile: path, atomically: true, encoding: .utf8)
            do throws(ConfigError) {
                let configuration = try DatastoreConfiguration.load(path: path)
                #expect(refused == nil, "\(url) accepted")
                #expect(configuration.tokenSource == .file(path: "/run/t"))
            } catch {
                #expect(error.line == 2, "\(error)")
                #expect(refused.map { error.message.contains($0) } == true, "\(error)")
                #expect(!error.description.contains("SECRET"))
            }
        }
    }
}
