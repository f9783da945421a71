import InputLimits

/// How processing spends credits, set over the control socket.
public struct CreditPolicy: Sendable, Equatable, Codable {
    /// Whether balances are enforced. A fresh daemon only meters spending, so a first run just
    /// works; adding credits or setting a policy turns enforcement on.
    public var enforced: Bool
    /// Millicredits charged per 1,000 tokens indexed.
    public var millicreditsPerThousandTokens: Int64
    /// Automatic top-off, when enabled.
    public var autoTopOff: AutoTopOff?

    /// Adds `amount` whenever a batch would leave the balance below `threshold`, at most
    /// `monthlyCap` in one calendar month (UTC).
    public struct AutoTopOff: Sendable, Equatable, Codable {
        public var amount: Int64
        public var threshold: Int64
        public var monthlyCap: Int64

        public init(amount: Int64, threshold: Int64, monthlyCap: Int64) {
            self.amount = amount
            self.threshold = threshold
            self.monthlyCap = monthlyCap
        }
    }

    public init(enforced: Bool = false, millicreditsPerThousandTokens: Int64 = 1_000, autoTopOff: AutoTopOff? = nil) {
        self.enforced = enforced
        self.millicreditsPerThousandTokens = millicreditsPerThousandTokens
        self.autoTopOff = autoTopOff
    }

    /// The charge for indexing `tokens` tokens, rounded up to a whole millicredit.
    public func cost(tokens: Int) -> Int64 {
        let product = Int64(tokens).multipliedReportingOverflow(by: millicreditsPerThousandTokens)
        guard !product.overflow else { return .max }
        return Saturating.add(product.partialValue, 999) / 1_000
    }
}
