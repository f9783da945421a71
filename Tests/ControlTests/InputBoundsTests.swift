import Control
import Foundation
import InputLimits
import Logging
import LogTestSupport
import Testing
import Varlink

/// Issue #13's property test: every numeric input of the control socket and of `tributaryctl`
/// at min-1, min, max, max+1, Int64.max, a negative value and (floating) NaN and ±infinity. In
/// range is accepted; out of range is refused with the limit named; nothing traps.
@Suite("Issue #13: every numeric input at its bounds", .serialized)
struct InputBoundsTests {
    /// One numeric member of one method; `VALUE` in `template` stands for the number.
    struct SocketInput: Sendable {
        var method: String
        var template: String
        var parameter: String
        var lower: Int64
        var upper: Int64
        /// What the refusal's description must contain (the limit as the message writes it).
        var limit: String

        init(_ method: String, _ template: String, _ parameter: String, _ range: ClosedRange<Int64>, limit: String) {
            self.method = method
            self.template = template
            self.parameter = parameter
            lower = range.lowerBound
            upper = range.upperBound
            self.limit = limit
        }

        init(_ method: String, _ template: String, _ parameter: String, _ range: InputRange<Int64>) {
            self.init(method, template, parameter, range.bounds, limit: range.text(range.upperBound))
        }

        init(_ method: String, _ template: String, _ parameter: String, _ range: InputRange<Int>) {
            self.init(method, template, parameter, Int64(range.lowerBound)...Int64(range.upperBound), limit: range.text(range.upperBound))
        }

        /// min-1, min, max, max+1, Int64.max, Int64.min, -1, and literals past Int64.
        var probes: [(literal: String, inRange: Bool)] {
            var values: [Int64] = [lower, upper, .max, .min, -1]
            if lower > .min { values.append(lower - 1) }
            if upper < .max { values.append(upper + 1) }
            return values.map { ("\($0)", (lower...upper).contains($0)) }
                + [("9223372036854775808", false), ("-9223372036854775809", false)]
        }
    }

    struct FloatingSocketInput: Sendable {
        var method: String
        var template: String
        var parameter: String
        var range: InputRange<Double>

        /// Below, min, max, above, Int64.max, -1, the largest double and JSON's overflowing 1e999.
        var probes: [(literal: String, inRange: Bool)] {
            let values = [range.lowerBound / 2, range.lowerBound, range.upperBound, range.upperBound * 1.5,
                          Double(Int64.max), -1, .greatestFiniteMagnitude]
            return values.map { ("\($0)", range.contains($0)) } + [("1e999", false), ("-1e999", false)]
        }
    }

    static let root = VarlinkPeer(processID: 1, userID: 0, groupID: 0, supplementaryGroups: [])
    static let create = #"{"config":{"name":"NAME","url":"https://x.example/wiki/spaces/X","email":"a@b","token":"good-token","#

    static let integers: [SocketInput] = [
        SocketInput("Create", create + #""resyncIntervalSeconds":VALUE}}"#, "config.resyncIntervalSeconds", Limits.resyncIntervalSeconds),
        SocketInput("Update", #"{"name":"handbook","changes":{"resyncIntervalSeconds":VALUE}}"#, "changes.resyncIntervalSeconds",
                    Limits.resyncIntervalSeconds),
        SocketInput("Create", #"{"config":{"name":"NAME","url":"https://x.example:VALUE/wiki/spaces/X","email":"a@b","token":"good-token"}}"#,
                    "config.url", Limits.urlPort),
        SocketInput("Update", #"{"name":"handbook","changes":{"url":"https://x.example:VALUE/wiki/spaces/X"}}"#, "changes.url", Limits.urlPort),
        SocketInput("AddCredits", #"{"millicredits":VALUE}"#, "millicredits", Limits.addedMillicredits),
        SocketInput("SetCreditPolicy", #"{"policy":{"autoTopOffAmountMillicredits":VALUE}}"#, "policy.autoTopOffAmountMillicredits",
                    Limits.policyMillicredits),
        SocketInput("SetCreditPolicy", #"{"policy":{"autoTopOffThresholdMillicredits":VALUE}}"#, "policy.autoTopOffThresholdMillicredits",
                    Limits.policyMillicredits),
        SocketInput("SetCreditPolicy", #"{"policy":{"autoTopOffMonthlyCapMillicredits":VALUE}}"#, "policy.autoTopOffMonthlyCapMillicredits",
                    Limits.policyMillicredits),
        SocketInput("SetCreditPolicy", #"{"policy":{"millicreditsPerThousandTokens":VALUE}}"#, "policy.millicreditsPerThousandTokens",
                    Limits.millicreditsPerThousandTokens),
        SocketInput("Search", #"{"name":"handbook","query":"x","limit":VALUE}"#, "limit",
                    1...Int64(ControlInterface.maxSearchLimit), limit: "\(ControlInterface.maxSearchLimit)"),
        SocketInput("ReadPage", #"{"name":"handbook","page":"101","maxChars":VALUE}"#, "maxChars",
                    1...Int64(ControlInterface.maxPageChars), limit: "\(ControlInterface.maxPageChars)"),
        SocketInput("ReadPage", #"{"name":"handbook","page":"101","offset":VALUE}"#, "offset", 0...Int64.max, limit: "negative"),
        SocketInput("Ask", #"{"name":"handbook","question":"x","passages":VALUE}"#, "passages",
                    1...Int64(AskRequest.maxPassages), limit: "\(AskRequest.maxPassages)"),
        SocketInput("Credits", #"{"recent":VALUE}"#, "recent",
                    0...Int64(ControlInterface.maxRecentEntries), limit: "\(ControlInterface.maxRecentEntries)"),
    ]

    static let floats: [FloatingSocketInput] = [
        FloatingSocketInput(method: "Create", template: create + #""rateLimit":VALUE}}"#, parameter: "config.rateLimit", range: Limits.rateLimit),
        FloatingSocketInput(method: "Update", template: #"{"name":"handbook","changes":{"rateLimit":VALUE}}"#,
                            parameter: "changes.rateLimit", range: Limits.rateLimit),
    ]

    /// Calls `method` as root; the single reply or error.
    private func call(_ service: VarlinkService, _ method: String, _ parameters: String) async -> VarlinkService.Reply? {
        let message = #"{"method":"io.tributary.Datastores.\#(method)","parameters":\#(parameters)}"#
        let replies = await service.call(message: message, peer: Self.root) ?? []
        return replies.last
    }

    private func check(_ reply: VarlinkService.Reply?, inRange: Bool, parameter: String, limit: String, _ what: String) {
        var refusal: (name: String, parameter: String?, description: String?)?
        if case .error(let error)? = reply, error.name.hasSuffix(".InvalidParameter") {
            refusal = (error.name, error.parameters["parameter"]?.stringValue, error.parameters["description"]?.stringValue)
        }
        if inRange {
            #expect(refusal == nil, "\(what): refused in range: \(String(describing: refusal))")
            return
        }
        guard let refusal else {
            Issue.record("\(what): accepted out of range: \(String(describing: reply))")
            return
        }
        // Our own refusal names the member and the limit. A number no Int64 or double holds
        // fails decoding first: the standard error, which Foundation's decoder lets name only
        // `parameters`.
        if refusal.name == "io.tributary.Datastores.InvalidParameter" {
            #expect(refusal.parameter == parameter, "\(what): \(refusal)")
            #expect(refusal.description?.contains(limit) == true, "\(what): \(refusal)")
        } else {
            #expect(refusal.name == "org.varlink.service.InvalidParameter", "\(what): \(refusal)")
            #expect(refusal.parameter == parameter || refusal.parameter == "parameters", "\(what): \(refusal)")
        }
    }

    @Test("Every numeric Varlink parameter: in range accepted, out of range InvalidParameter naming the limit, no trap")
    func socketParameters() async {
        let service = ControlInterface.service(
            backend: FakeBackend(), authorizer: Authorizer(privilegedUserIDs: [0], groupID: nil), logger: LogCapture().logger,
            version: "0.1-test")
        var serial = 0
        for input in Self.integers {
            for (literal, inRange) in input.probes {
                serial += 1
                let parameters = input.template.replacingOccurrences(of: "VALUE", with: literal)
                    .replacingOccurrences(of: "NAME", with: "p\(serial)")
                let reply = await call(service, input.method, parameters)
                check(reply, inRange: inRange, parameter: input.parameter, limit: input.limit, "\(input.method) \(parameters)")
            }
        }
        for input in Self.floats {
            for (literal, inRange) in input.probes {
                serial += 1
                let parameters = input.template.replacingOccurrences(of: "VALUE", with: literal)
                    .replacingOccurrences(of: "NAME", with: "p\(serial)")
                let reply = await call(service, input.method, parameters)
                check(reply, inRange: inRange, parameter: input.parameter, limit: input.range.text(input.range.upperBound),
                      "\(input.method) \(parameters)")
            }
        }
    }

    // MARK: tributaryctl

    /// One option of `tributaryctl`: the arguments with `VALUE`, the probes, and the limit.
    struct Option: Sendable {
        var arguments: [String]
        var probes: [(text: String, inRange: Bool)]
        var limit: String
        var stdin: String?
    }

    static func integerProbes<B: FixedWidthInteger>(_ range: InputRange<B>) -> [(String, Bool)] {
        let (low, high) = (Int64(range.lowerBound), Int64(range.upperBound))
        var values: [Int64] = [low - 1, low, high, .max, -1]
        if high < .max { values.append(high + 1) }
        return values.map { ("\($0)", Int64(range.lowerBound)...Int64(range.upperBound) ~= $0) }
    }

    static func floatingProbes(_ range: InputRange<Double>) -> [(String, Bool)] {
        let values = [range.lowerBound / 2, range.lowerBound, range.upperBound, range.upperBound + 1, Double(Int64.max), -1]
        return values.map { (range.text($0), range.contains($0)) } + [("nan", false), ("inf", false), ("-inf", false)]
    }

    /// Credits as typed: one millicredit below and above the bounds, Int64.max millicredits, -1.
    static func creditProbes(_ range: InputRange<Int64>) -> [(String, Bool)] {
        let values: [Int64] = [range.lowerBound - 1, range.lowerBound, range.upperBound, range.upperBound + 1, .max]
        return values.map { (CreditAmount.format($0), range.contains($0)) } + [("-1", false)]
    }

    static var options: [Option] {
        let credits = { (range: InputRange<Int64>) in CreditAmount.format(range.upperBound) }
        return [
            Option(arguments: ["update", "handbook", "--resync-interval=VALUE"], probes: integerProbes(Limits.resyncIntervalSeconds),
                   limit: "31536000"),
            Option(arguments: ["update", "handbook", "--rate-limit=VALUE"], probes: floatingProbes(Limits.rateLimit), limit: "0.01"),
            Option(arguments: ["update", "handbook", "--url=https://x.example:VALUE/wiki/spaces/X"], probes: integerProbes(Limits.urlPort),
                   limit: "65535"),
            Option(arguments: ["create", "cNAME", "--url=https://x.example:VALUE/wiki/spaces/X", "--email", "a@b", "--token-file", "-"],
                   probes: integerProbes(Limits.urlPort), limit: "65535", stdin: "good-token"),
            Option(arguments: ["credits", "add", "--", "VALUE"], probes: creditProbes(Limits.addedMillicredits),
                   limit: credits(Limits.addedMillicredits)),
            Option(arguments: ["credits", "auto-top-off", "--amount=VALUE"], probes: creditProbes(Limits.policyMillicredits),
                   limit: credits(Limits.policyMillicredits)),
            Option(arguments: ["credits", "auto-top-off", "--threshold=VALUE"], probes: creditProbes(Limits.policyMillicredits),
                   limit: credits(Limits.policyMillicredits)),
            Option(arguments: ["credits", "auto-top-off", "--monthly-cap=VALUE"], probes: creditProbes(Limits.policyMillicredits),
                   limit: credits(Limits.policyMillicredits)),
            Option(arguments: ["credits", "price", "--", "VALUE"], probes: creditProbes(Limits.millicreditsPerThousandTokens),
                   limit: credits(Limits.millicreditsPerThousandTokens)),
            Option(arguments: ["credits", "--recent=VALUE"],
                   probes: integerProbes(InputRange(0...ControlInterface.maxRecentEntries, unit: "entries")),
                   limit: "\(ControlInterface.maxRecentEntries)"),
            Option(arguments: ["search", "handbook", "x", "--limit=VALUE"],
                   probes: integerProbes(InputRange(1...ControlInterface.maxSearchLimit, unit: "results")),
                   limit: "\(ControlInterface.maxSearchLimit)"),
            Option(arguments: ["page", "handbook", "101", "--max-chars=VALUE"],
                   probes: integerProbes(InputRange(1...ControlInterface.maxPageChars, unit: "characters")),
                   limit: "\(ControlInterface.maxPageChars)"),
            Option(arguments: ["page", "handbook", "101", "--offset=VALUE"],
                   probes: integerProbes(InputRange(0...Int.max, unit: "characters")), limit: "negative"),
            Option(arguments: ["ask", "handbook", "why", "--passages=VALUE"],
                   probes: integerProbes(InputRange(1...AskRequest.maxPassages, unit: "passages")), limit: "\(AskRequest.maxPassages)"),
            Option(arguments: ["watch", "handbook", "--until", "ready", "--timeout=VALUE"],
                   probes: floatingProbes(Limits.watchTimeoutSeconds), limit: "31536000"),
        ]
    }

    @Test("Every numeric option of tributaryctl: in range accepted, out of range a usage error (exit 2) naming the limit")
    func cliOptions() async throws {
        let running = try RunningServer.start()
        var serial = 0
        for option in Self.options {
            for (text, inRange) in option.probes {
                serial += 1
                let arguments = option.arguments.map {
                    $0.replacingOccurrences(of: "VALUE", with: text).replacingOccurrences(of: "NAME", with: "\(serial)")
                }
                let result = try await runAsync(try Paths.tributaryctl(), ["--socket", running.path] + arguments, stdin: option.stdin)
                // No trap: a signal would show as a status above 128 (or a crash report on stderr).
                #expect(result.status < 128 && !result.stderr.contains("Fatal error"), "\(arguments): \(result.stderr)")
                if inRange {
                    #expect(result.status != 2, "\(arguments) refused in range: \(result.stderr)")
                } else {
                    #expect(result.status == 2, "\(arguments) accepted out of range: \(result.status) \(result.stderr)")
                    #expect(result.stderr.contains(option.limit), "\(arguments): \(result.stderr)")
                }
            }
        }
        await running.stop()
    }
}
