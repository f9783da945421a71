/// When a committed write transaction reaches the disk (see ``Store/write(durability:_:)``).
public enum WriteDurability: Sendable, Equatable {
    /// The commit returns once the transaction is on disk: it survives `kill -9`, an operating
    /// system crash and power loss. Costs a data-file `fdatasync` and a synced meta-page write.
    case durable

    /// The commit returns once the transaction is in the kernel's page cache, with no sync:
    /// ``Store/flush()`` (or the next ``durable`` commit) makes it and every deferred commit
    /// before it durable with one `fdatasync`. For group commits: several transactions, one sync.
    ///
    /// Crash safety:
    /// - the process dying (`kill -9`, a crash, OOM) loses nothing: the pages are in the
    ///   kernel's page cache and the next open sees every commit;
    /// - an operating-system crash or power loss before the flush may lose the deferred commits
    ///   (the store comes back as of an earlier commit, never half a transaction). This is
    ///   LMDB's `MDB_NOSYNC`: its integrity on such a crash rests on the file system writing
    ///   pages in order, which LMDB's documentation assumes and ext4/xfs journaling gives in
    ///   practice but does not promise; keep the window short (flush every batch).
    ///
    /// So use it only for writes that can be replayed: the sync engine's batches qualify,
    /// because pages whose commit was lost are still pending in the manifest and are fetched
    /// and indexed again. Anything the user was told is done (a command's result, a credit
    /// top-up) must be written `durable` or flushed before it is reported.
    case deferred
}
