import Storage

/// Builds the sync workers of one job, each with the repositories and services it uses and
/// nothing else of the engine: the one place that knows what every worker needs. The
/// ``Scheduler`` holds this, not the engine's parts.
struct SyncWorkers: Sendable {
    private let parts: EngineParts

    init(_ parts: EngineParts) {
        self.parts = parts
    }

    /// Runs `job` and records its outcome.
    func jobRunner(_ job: Job, disk: DiskWatcher) -> JobRunner {
        JobRunner(job: job, disk: disk, workers: self, store: parts.store, datastores: parts.datastores, queue: parts.queue,
                  lifecycle: parts.lifecycle, options: parts.options, clock: parts.clock, logger: parts.logger, changed: parts.changed)
    }

    func metadataSync(_ datastore: UInt64) -> MetadataSync {
        let diff = PageDiff(datastore: datastore, manifest: parts.manifest, index: parts.index)
        let listing = SpaceListing.Services(
            datastore: datastore, store: parts.store, datastores: parts.datastores, manifest: parts.manifest, diff: diff,
            conversion: PageConversion(options: parts.options, index: parts.index), indexCommit: indexCommit(datastore),
            requestsAhead: parts.options.listingRequestsAhead, batchesPerTransaction: parts.options.listingBatchesPerTransaction,
            clock: parts.clock, changed: parts.changed)
        return MetadataSync(datastore: datastore, store: parts.store, datastores: parts.datastores, manifest: parts.manifest,
                            attachments: parts.attachments, diff: diff, lifecycle: parts.lifecycle, pageSources: parts.pageSources,
                            estimate: parts.creditEstimate, listing: listing, clock: parts.clock, logger: parts.logger,
                            changed: parts.changed)
    }

    func batchProcessor(_ datastore: UInt64) -> BatchProcessor {
        BatchProcessor(datastore: datastore, store: parts.store, datastores: parts.datastores, manifest: parts.manifest,
                       index: parts.index, pageSources: parts.pageSources, indexCommit: indexCommit(datastore), sweep: attachmentSweep(datastore),
                       options: parts.options, clock: parts.clock, changed: parts.changed)
    }

    func attachmentSweep(_ datastore: UInt64) -> AttachmentSweep {
        AttachmentSweep(datastore: datastore, store: parts.store, datastores: parts.datastores, manifest: parts.manifest,
                        attachments: parts.attachments, index: parts.index, ledger: parts.ledger, pageSources: parts.pageSources,
                        options: parts.options, clock: parts.clock, logger: parts.logger, changed: parts.changed)
    }

    func labelRefresh(_ datastore: UInt64) -> LabelRefresh {
        LabelRefresh(datastore: datastore, store: parts.store, datastores: parts.datastores, manifest: parts.manifest,
                     pageSources: parts.pageSources, options: parts.options, clock: parts.clock, logger: parts.logger)
    }

    private func indexCommit(_ datastore: UInt64) -> IndexCommit {
        IndexCommit(datastore: datastore, ledger: parts.ledger, index: parts.index, manifest: parts.manifest, logger: parts.logger)
    }
}
