import Storage

/// What the pending pages of a datastore are expected to cost, from the manifest and the
/// ledger's price: shown in status and refreshed after each listing.
struct CreditEstimate: Sendable {
    let ledger: CreditLedger
    let manifest: ManifestRepository
    /// Tokens assumed for a page of a datastore that has indexed none yet.
    let defaultTokensPerPage: Int

    /// Millicredits the pending pages of a datastore are expected to cost: their previous token
    /// counts where known, otherwise the datastore's average (or the default) per page.
    func millicredits(_ txn: ReadTransaction, datastore: UInt64) throws -> Int64 {
        let policy = try ledger.policy(txn)
        // Nothing pending (a completed first sync, most cycles): no scan of every entry.
        if try manifest.counts(txn, datastore: datastore).pending == 0 { return policy.cost(tokens: 0) }
        var knownTokens = 0, unknownPages = 0, indexedTokens = 0, indexedPages = 0
        try manifest.forEach(txn, datastore: datastore) { entry in
            switch entry.disposition {
            case .pending:
                if entry.tokens > 0 { knownTokens += entry.tokens } else { unknownPages += 1 }
            case .indexed:
                indexedTokens += entry.tokens
                indexedPages += 1
            default:
                break
            }
            return .continue
        }
        let perPage = indexedPages > 0 ? max(1, indexedTokens / indexedPages) : defaultTokensPerPage
        return policy.cost(tokens: knownTokens + unknownPages * perPage)
    }
}
