import ArgumentParser
import Control
import Foundation
import InputLimits

/// Credit amounts typed by people: up to three decimals.
struct Credits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the credit balance and ledger, add credits, or change automatic top-off.",
        discussion: "Amounts are in credits with up to three decimals (1 credit = 1000 millicredits).",
        subcommands: [Show.self, Add.self, AutoTopOff.self, Price.self],
        defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the balance, the policy and recent ledger entries.")

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "How many recent ledger entries to show (0 to 1000).") var recent = 20
        @Flag(help: "Print the credits report as JSON.") var json = false

        func validate() throws {
            try CtlRanges.check(recent, InputRange(0...ControlInterface.maxRecentEntries, unit: "entries"), option: "--recent")
        }

        func run() async throws {
            let recent = recent
            let report = try await withClient(connection) { client throws(ControlClientError) in try await client.credits(recent: recent) }
            CreditsText.print(report, json: json)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add credits (a top-up); enables enforcement.",
            discussion: "Example: tributaryctl credits add 250.5 --note 'March budget'")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Credits to add, e.g. 100 or 12.345.") var amount: String
        @Option(help: "A note kept in the ledger.") var note: String?
        @Flag(help: "Print the credits report as JSON.") var json = false

        func run() async throws {
            let millicredits = try parseCredits(amount, option: "AMOUNT", range: Limits.addedMillicredits)
            let note = note
            let report = try await withClient(connection) { client throws(ControlClientError) in
                try await client.addCredits(millicredits: millicredits, note: note)
            }
            CreditsText.print(report, json: json)
        }
    }

    struct AutoTopOff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "auto-top-off",
            abstract: "Change automatic top-off: add AMOUNT when the balance falls below THRESHOLD.",
            discussion: "Example: tributaryctl credits auto-top-off --enable --amount 100 --threshold 10 --monthly-cap 500")

        @OptionGroup var connection: ConnectionOptions
        enum Switch: String, EnumerableFlag {
            case enable, disable

            static func help(for value: Switch) -> ArgumentHelp? {
                value == .enable ? "Turn automatic top-off on." : "Turn automatic top-off off."
            }
        }

        @Flag var toggle: Switch?
        @Option(help: "Credits added per top-off.") var amount: String?
        @Option(help: "Top off when the balance falls below this many credits.") var threshold: String?
        @Option(name: .customLong("monthly-cap"), help: "At most this many credits of top-off per month.") var monthlyCap: String?
        @Flag(help: "Print the credits report as JSON.") var json = false

        func run() async throws {
            var change = CreditPolicyChange()
            change.autoTopOffEnabled = toggle.map { $0 == .enable }
            change.autoTopOffAmountMillicredits = try amount.map { try parseCredits($0, option: "--amount", range: Limits.policyMillicredits) }
            change.autoTopOffThresholdMillicredits = try threshold.map { try parseCredits($0, option: "--threshold", range: Limits.policyMillicredits) }
            change.autoTopOffMonthlyCapMillicredits = try monthlyCap.map { try parseCredits($0, option: "--monthly-cap", range: Limits.policyMillicredits) }
            if change == CreditPolicyChange() { throw ValidationError("nothing to change: give --enable/--disable, --amount, --threshold or --monthly-cap") }
            let report = try await withClient(connection) { client throws(ControlClientError) in try await client.setCreditPolicy(change) }
            CreditsText.print(report, json: json)
        }
    }

    struct Price: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the price of processing, in credits per thousand indexed tokens.")

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Credits per 1000 tokens, e.g. 0.5.") var perThousandTokens: String
        @Flag(help: "Print the credits report as JSON.") var json = false

        func run() async throws {
            var change = CreditPolicyChange()
            change.millicreditsPerThousandTokens = try parseCredits(
                perThousandTokens, option: "the price", range: Limits.millicreditsPerThousandTokens, unit: "credits per 1000 tokens")
            let report = try await withClient(connection) { client throws(ControlClientError) in try await client.setCreditPolicy(change) }
            CreditsText.print(report, json: json)
        }
    }
}

/// Credits typed by a person, in millicredits, within `range` (whose limits the message names in credits).
private func parseCredits(_ text: String, option: String, range: InputRange<Int64>, unit: String = "credits") throws -> Int64 {
    let limits = "from \(CreditAmount.format(range.lowerBound)) to \(CreditAmount.format(range.upperBound)) \(unit)"
    guard let value = CreditAmount.parse(text), range.contains(value) else {
        throw ValidationError("\(option) must be a number \(limits) with at most three decimals, not '\(text.prefix(40))'")
    }
    return value
}

enum CreditsText {
    static func print(_ report: CreditsReport, json: Bool) {
        if json {
            let nulls = ["recent[].datastore", "recent[].pageId", "recent[].pageVersion", "recent[].note"]
            Terminal.write((try? JSONOutput.render(report, nullMembers: nulls)) ?? "{}\n")
            return
        }
        var lines = ["balance: \(Format.credits(report.balanceMillicredits)) credits"
            + (report.enforced ? "" : " (not enforced: spending is metered, not limited, until credits are added)")]
        lines.append("spent:   \(Format.credits(report.spentMillicredits)) credits")
        lines.append("price:   \(Format.credits(report.millicreditsPerThousandTokens)) credits per 1000 tokens")
        let top = report.autoTopOff
        if top.enabled {
            lines.append("auto top-off: on, \(Format.credits(top.amountMillicredits)) credits when below "
                + "\(Format.credits(top.thresholdMillicredits)), at most \(Format.credits(top.monthlyCapMillicredits)) a month "
                + "(\(Format.credits(top.usedThisMonthMillicredits)) used this month)")
        } else {
            lines.append("auto top-off: off")
        }
        var text = lines.joined(separator: "\n") + "\n"
        if !report.recent.isEmpty {
            var table = Table("SEQ", "TIME", "KIND", "AMOUNT", "BALANCE", "DATASTORE", "PAGE", "NOTE")
            for line in report.recent {
                let page = line.pageId.map { id in line.pageVersion.map { "\(id) v\($0)" } ?? id } ?? ""
                table.add(
                    "\(line.sequence)", line.time, line.kind, Format.credits(line.millicredits), Format.credits(line.balanceAfter),
                    line.datastore ?? "", page, line.note ?? "")
            }
            text += "\n" + table.rendered
        }
        Terminal.write(text)
    }
}
