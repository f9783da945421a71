import InputLimits
import Logging
import Storage
import TributaryEvents

/// What a person (or an answer) does to the credit balance: top-ups, the policy, model usage.
struct CreditCommands: Sendable {
    let store: Store
    let ledger: CreditLedger
    let clock: any EngineClock
    let logger: Logger
    let datastores: DatastoreCommands

    init(_ parts: EngineParts, datastores: DatastoreCommands) {
        store = parts.store
        ledger = parts.ledger
        clock = parts.clock
        logger = parts.logger
        self.datastores = datastores
    }

    /// Adds credits (turning enforcement on) and resumes datastores paused for credits.
    func add(millicredits: Int64, note: String?) throws(EngineError) {
        guard Limits.addedMillicredits.contains(millicredits) else {
            throw .invalid(field: "millicredits", message: "must be \(Limits.addedMillicredits.limits)")
        }
        let now = clock.nowMillis
        try engineStorage {
            try store.write { txn in
                // Checked, not saturated: a top-up is refused rather than partly lost.
                guard try ledger.balance(txn) <= Limits.maxBalanceMillicredits - millicredits else {
                    throw EngineError.invalid(
                        field: "millicredits",
                        message: "the balance would pass its largest value, \(Credits.format(Limits.maxBalanceMillicredits)) credits")
                }
                try ledger.add(txn, millicredits: millicredits, note: note, now: now)
            }
        }
        logger.notice("\(Credits.format(millicredits)) credits added", metadata: [
            "message_id": "\(TributaryEvent.creditsAdded.messageID)", "millicredits": "\(millicredits)",
        ])
        try datastores.resumeCreditPauses()
    }

    /// Changes the credit policy; a change that makes room resumes paused datastores.
    func setPolicy(_ change: (inout CreditPolicy) -> Void) throws(EngineError) {
        try engineStorage {
            try store.write { txn in
                var policy = try ledger.policy(txn)
                change(&policy)
                try ledger.setPolicy(txn, policy)
            }
        }
        try datastores.resumeCreditPauses()
    }

    /// Whether an answer expected to cost `estimatedMillicredits` may call the model.
    func authorizeModelUsage(estimatedMillicredits: Int64) throws(EngineError) -> ModelUsageAuthorization {
        let now = clock.nowMillis
        return try engineStorage {
            try store.write { txn in
                switch try ledger.authorize(txn, cost: max(0, estimatedMillicredits), now: now) {
                case .allowed, .allowedAfterTopOff:
                    return .allowed
                case .insufficient(let needed):
                    return .insufficient(neededMillicredits: needed, balanceMillicredits: try ledger.balance(txn))
                }
            }
        }
    }

    /// Charges one answer's tokens; returns the millicredits charged.
    func chargeModelUsage(tokens: Int, millicreditsPerThousandTokens: Int64, note: String) throws(EngineError) -> Int64 {
        let cost = CreditPolicy(millicreditsPerThousandTokens: max(0, millicreditsPerThousandTokens)).cost(tokens: max(0, tokens))
        let now = clock.nowMillis
        let entry = try engineStorage {
            try store.write { txn in
                try ledger.chargeModelUsage(txn, tokens: tokens, millicredits: cost, note: note, now: now)
            }
        }
        logger.info("model answer charged \(Credits.format(cost)) credits for \(tokens) tokens",
                    metadata: ["millicredits": "\(cost)", "tokens": "\(tokens)", "ledger_sequence": "\(entry.sequence)"])
        return cost
    }
}
