import Logging
import Storage

/// Credits for model answers: a check before the model is called, one charge after.
extension Engine {
    /// Whether an answer expected to cost `estimatedMillicredits` may call the model. Applies
    /// auto top-off like processing does; with enforcement off it is always allowed.
    public nonisolated func authorizeModelUsage(estimatedMillicredits: Int64) throws(EngineError) -> ModelUsageAuthorization {
        try engineCall {
            try core.store.write { txn in
                switch try core.ledger.authorize(txn, cost: max(0, estimatedMillicredits)) {
                case .allowed, .allowedAfterTopOff:
                    return .allowed
                case .insufficient(let needed):
                    return .insufficient(neededMillicredits: needed, balanceMillicredits: try core.ledger.balance(txn))
                }
            }
        }
    }

    /// Charges one answer's `tokens` at `millicreditsPerThousandTokens`, in one write
    /// transaction; returns the millicredits charged.
    public nonisolated func chargeModelUsage(
        tokens: Int, millicreditsPerThousandTokens: Int64, note: String
    ) throws(EngineError) -> Int64 {
        let cost = CreditPolicy(millicreditsPerThousandTokens: max(0, millicreditsPerThousandTokens)).cost(tokens: max(0, tokens))
        let entry = try engineCall {
            try core.store.write { txn in
                try core.ledger.chargeModelUsage(txn, tokens: tokens, millicredits: cost, note: note)
            }
        }
        core.logger.info("model answer charged \(Credits.format(cost)) credits for \(tokens) tokens",
                         metadata: ["millicredits": "\(cost)", "tokens": "\(tokens)", "ledger_sequence": "\(entry.sequence)"])
        return cost
    }
}

/// The outcome of ``Engine/authorizeModelUsage(estimatedMillicredits:)``.
public enum ModelUsageAuthorization: Sendable, Equatable {
    case allowed
    case insufficient(neededMillicredits: Int64, balanceMillicredits: Int64)
}
