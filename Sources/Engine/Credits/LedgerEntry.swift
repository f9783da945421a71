/// One line of the append-only credit ledger. The balance is the sum of all amounts.
public struct LedgerEntry: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// Credits added by a person.
        case topUp = "top_up"
        /// Credits added by the auto top-off policy.
        case autoTopOff = "auto_top_off"
        /// Processing of one page version.
        case charge
        /// When enforcement starts, spending metered before it is written off so the balance
        /// equals the first top-up.
        case openingBalance = "opening_balance"
        /// The tokens a model read and wrote for one answer (Ask).
        case modelUsage = "model_usage"
        /// The tokens one batch of chunk embeddings took (hybrid search), at the indexing price.
        case embedding
    }

    /// Position in the ledger, from 1.
    public var sequence: UInt64
    /// Milliseconds since the Unix epoch.
    public var timestamp: Int64
    public var kind: Kind
    /// Millicredits: positive adds, negative spends.
    public var amount: Int64
    /// For charges: which page version was paid for.
    public var datastore: UInt64?
    public var pageId: String?
    public var pageVersion: Int?
    public var tokens: Int?
    /// Free text for top-ups (who or why) and model usage (which model, reported or estimated).
    public var note: String?
    /// The balance right after this entry, written with it (so listing recent entries needs
    /// no scan of the whole ledger).
    public var balanceAfter: Int64?
}
