import InputLimits
import Logging
import Storage

/// Values an older build accepted beyond today's ranges (issue #13) are brought into range when
/// the engine starts, each with a warning, so a stored value can never trap the scheduler or a
/// commit, and a password stored in a URL is never shown again.
extension Engine {
    func clampStoredValues(now: Int64) throws(EngineError) {
        let core = core
        let warnings: [(String, Logger.Metadata)] = try engineStorage {
            try core.store.write { txn in
                var warnings: [(String, Logger.Metadata)] = []
                var ids: [(String, UInt64)] = []
                try txn.forEach(in: core.tables.names) { name, id in
                    ids.append((name, id))
                    return .continue
                }
                for (name, id) in ids {
                    guard var record = try core.record(txn, id) else { continue }
                    let fixes = StoredLimits.clamp(&record.configuration)
                    guard !fixes.isEmpty else { continue }
                    // A next sync scheduled from the old interval comes forward to the new one.
                    let latest = Saturating.add(now, Saturating.multiply(Int64(record.configuration.resyncIntervalSeconds), 1_000))
                    if record.state == .ready, let next = record.nextSync, next > latest {
                        try core.scheduleNextSync(txn, &record, now: now)
                    }
                    try core.put(txn, record)
                    for fix in fixes { warnings.append(("datastore \(name): \(fix)", ["datastore": "\(name)"])) }
                }
                if var policy = try core.ledger.storedPolicy(txn) {
                    let fixes = StoredLimits.clamp(&policy)
                    if !fixes.isEmpty {
                        try core.ledger.setPolicy(txn, policy)
                        for fix in fixes { warnings.append(("credit policy: \(fix)", [:])) }
                    }
                }
                return warnings
            }
        }
        for (message, metadata) in warnings {
            core.logger.warning("\(message) (stored by an older version; now out of range)", metadata: metadata)
        }
    }
}

/// What is clamped, and the sentence logged for each value changed.
enum StoredLimits {
    static func clamp(_ configuration: inout DatastoreConfiguration) -> [String] {
        var fixes: [String] = []
        let interval = Limits.resyncIntervalSeconds.clamped(configuration.resyncIntervalSeconds)
        if interval != configuration.resyncIntervalSeconds {
            fixes.append("resync interval \(configuration.resyncIntervalSeconds) s set to \(interval) s (\(Limits.resyncIntervalSeconds.limits))")
            configuration.resyncIntervalSeconds = interval
        }
        if let rate = configuration.rateLimit, !Limits.rateLimit.contains(rate) {
            let clamped = Limits.rateLimit.clamped(rate)
            fixes.append("rate limit \(rate) set to \(Limits.rateLimit.text(clamped)) (\(Limits.rateLimit.limits))")
            configuration.rateLimit = clamped
        }
        if URLInput.hasUserinfo(configuration.url) {
            // The secret itself is never logged.
            configuration.url = URLInput.removingUserinfo(configuration.url)
            fixes.append("the user name and password were removed from its URL (now \(configuration.url)); give the token with --token-file")
        }
        return fixes
    }

    static func clamp(_ policy: inout CreditPolicy) -> [String] {
        var fixes: [String] = []
        func fix(_ value: inout Int64, _ range: InputRange<Int64>, _ what: String) {
            let clamped = range.clamped(value)
            guard clamped != value else { return }
            fixes.append("\(what) \(value) set to \(clamped) (\(range.limits))")
            value = clamped
        }
        fix(&policy.millicreditsPerThousandTokens, Limits.millicreditsPerThousandTokens, "price")
        if var topOff = policy.autoTopOff {
            fix(&topOff.amount, Limits.policyMillicredits, "auto top-off amount")
            fix(&topOff.threshold, Limits.policyMillicredits, "auto top-off threshold")
            fix(&topOff.monthlyCap, Limits.policyMillicredits, "auto top-off monthly cap")
            policy.autoTopOff = topOff
        }
        return fixes
    }
}
