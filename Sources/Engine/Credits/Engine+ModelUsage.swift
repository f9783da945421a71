/// Credits for model answers: a check before the model is called, one charge after
/// (see ``CreditCommands``).
extension Engine {
    /// Whether an answer expected to cost `estimatedMillicredits` may call the model. Applies
    /// auto top-off like processing does; with enforcement off it is always allowed.
    public nonisolated func authorizeModelUsage(estimatedMillicredits: Int64) throws(EngineError) -> ModelUsageAuthorization {
        try creditCommands.authorizeModelUsage(estimatedMillicredits: estimatedMillicredits)
    }

    /// Charges one answer's `tokens` at `millicreditsPerThousandTokens`, in one write
    /// transaction; returns the millicredits charged.
    public nonisolated func chargeModelUsage(
        tokens: Int, millicreditsPerThousandTokens: Int64, note: String
    ) throws(EngineError) -> Int64 {
        try creditCommands.chargeModelUsage(tokens: tokens, millicreditsPerThousandTokens: millicreditsPerThousandTokens, note: note)
    }
}

/// The outcome of ``Engine/authorizeModelUsage(estimatedMillicredits:)``.
public enum ModelUsageAuthorization: Sendable, Equatable {
    case allowed
    case insufficient(neededMillicredits: Int64, balanceMillicredits: Int64)
}
