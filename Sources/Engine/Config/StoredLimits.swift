import InputLimits

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
