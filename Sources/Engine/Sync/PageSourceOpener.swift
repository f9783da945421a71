import Confluence
import Storage

/// Opens the page source of one job: the datastore's stored secret, opened with the sealer,
/// and the factory's source for its configuration, reporting its waits to the ``WaitBoard``.
/// The sync workers hold this instead of the secrets, the factory and the wait board.
struct PageSourceOpener: Sendable {
    let store: Store
    let datastores: DatastoreRepository
    let secrets: any SecretSealer
    let sources: any PageSourceFactory
    let waits: WaitBoard

    /// The datastore's stored secret, opened; nil when it has none or does not use one. A secret
    /// that cannot be opened (another key, no key) fails the datastore with a configuration
    /// reason that never includes the secret.
    func storedSecret(_ id: UInt64) throws(SyncFailure) -> String? {
        let stored = try storage {
            try store.read { txn -> [UInt8]? in
                guard try datastores.record(txn, id)?.configuration.tokenSource == .stored else { return nil }
                return try datastores.sealedSecret(txn, id)
            }
        }
        guard let stored else { return nil }
        do throws(SecretSealingError) {
            return try secrets.open(stored, datastore: id)
        } catch {
            // The reason a person reads in status: which key problem, never the secret.
            throw .configuration(error.description)
        }
    }

    /// The page source for a job of `record`'s datastore.
    func source(for record: DatastoreRecord, site: ConfluenceSite?) throws(SyncFailure) -> any PageSource {
        let secret = try storedSecret(record.id)
        return try sources.source(for: record.configuration, storedSecret: secret, site: site, waits: waits.observer(for: record.id))
    }
}
