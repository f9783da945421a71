import Logging
import Storage

extension Engine {
    /// Seals every stored secret that is not sealed yet (stored as plaintext before a key was
    /// configured) and returns how many it sealed. Run once at start, before the scheduler; with
    /// ``PlaintextSecrets`` nothing is sealed. Logs the count, never a secret.
    @discardableResult
    public func sealStoredSecrets() throws(EngineError) -> Int {
        let sealer = core.secrets
        let sealed: Int = try engineStorage {
            // Read first (never scan a table while writing it), seal outside the transaction.
            let plaintext = try core.store.read { txn in
                var found: [(UInt64, [UInt8])] = []
                try txn.forEach(in: core.tables.secrets) { id, stored in
                    if !sealer.isSealed(stored) { found.append((id, stored)) }
                    return .continue
                }
                return found
            }
            var resealed: [(UInt64, [UInt8])] = []
            for (id, stored) in plaintext {
                let bytes = try sealer.seal(try sealer.open(stored, datastore: id), datastore: id)
                // A sealer that keeps plaintext (no key configured) has nothing to migrate.
                if sealer.isSealed(bytes) { resealed.append((id, bytes)) }
            }
            try core.store.write { txn in
                for (id, bytes) in resealed {
                    // Only rows still unsealed: a secret set meanwhile is already sealed.
                    guard let current = try txn.get(core.tables.secrets, id), !sealer.isSealed(current) else { continue }
                    try txn.put(core.tables.secrets, id, bytes)
                }
            }
            return resealed.count
        }
        if sealed > 0 {
            core.logger.notice("sealed \(sealed) stored secrets with the configured key (they were stored in plain text)",
                               metadata: ["secrets": "\(sealed)"])
        }
        return sealed
    }
}
