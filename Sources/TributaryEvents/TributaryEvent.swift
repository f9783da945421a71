import Logging

/// An event a monitor watches for, logged with a fixed journal `MESSAGE_ID`.
///
/// The raw value is the id: 128 random bits as 32 lower-case hex digits (`systemd-id128 new`),
/// fixed forever once released. `systemd/tributary.catalog` explains each one; `journalctl -x`
/// shows that text next to the entry and `journalctl MESSAGE_ID=<id>` finds every occurrence.
///
/// Code that logs one of these attaches ``metadata(_:)`` to the call; the journal handler turns
/// the `message_id` key into `MESSAGE_ID` and every other key into a `TRIBUTARY_…` field:
///
/// ```swift
/// logger.notice("datastore \(name) is ready",
///               metadata: TributaryEvent.datastoreReady.metadata([MetadataKey.datastore: "\(name)"]))
/// ```
public enum TributaryEvent: String, CaseIterable, Sendable {
    /// A datastore moved from one state to another.
    case datastoreStateChanged = "f400d7383b6545418b90c4acabc3f9a8"
    /// A datastore finished a sync and serves searches from a complete index.
    case datastoreReady = "832501ee5bc142178fbc04b329889617"
    /// A datastore stopped on an error that needs a person (authentication, permission, configuration).
    case datastoreFailed = "149461045849416cbc4e3a3f8e78b327"
    /// A datastore paused because the credit balance cannot pay for more processing.
    case datastorePausedForCredits = "de1d1b389f3c46359112fc15cce8fc26"
    /// A paused datastore resumed work.
    case datastoreResumed = "d598e5e522c14eed9a8d5b5b1755e6b2"
    /// Confluence asked the daemon to slow down; requests to the site back off.
    case rateLimited = "3640003737504cad8bc50fe916b673b3"
    /// The LMDB memory map grew to make room for more data.
    case mapGrown = "c5094d8500464819bc074d51a3178546"
    /// The daemon finished starting: the store is open and the control socket listens.
    case daemonReady = "3b7cd2897799434dada0ae9aa9f285a4"
    /// The daemon began a graceful shutdown.
    case daemonStopping = "bc8af1c8d9694a7eb6f7205085844e71"
    /// The daemon re-read its configuration and the declarative datastore files.
    case configReloaded = "732b4f4417ba4b239447e9e868fbf2a7"
    /// `tributaryd.conf` could not be read on reload; the daemon keeps its previous settings.
    case configRejected = "2b423070ec414c0c9dee77f2b97ce2fa"
    /// A file in `datastores.d` was rejected; the datastore it defines is left as it was.
    case datastoreFileRejected = "c8987506a9f9478b929186b83c281219"
    /// Credits were added to the balance, by a person or by the automatic top-off.
    case creditsAdded = "eeca3d05eb414ed0b1e490c3dc4fcc1d"

    /// The journal `MESSAGE_ID`: 32 lower-case hex digits.
    public var messageID: String { rawValue }

    /// The metadata keys a log call for this event carries. The catalog text refers to their
    /// journal fields (`@TRIBUTARY_DATASTORE@`…), so a missing key shows up as a gap there.
    public var fields: [String] {
        switch self {
        case .datastoreStateChanged: [MetadataKey.datastore, MetadataKey.previousState, MetadataKey.state, MetadataKey.reason]
        case .datastoreReady: [MetadataKey.datastore, MetadataKey.pages]
        case .datastoreFailed: [MetadataKey.datastore, MetadataKey.reason]
        case .datastorePausedForCredits: [MetadataKey.datastore, MetadataKey.balance]
        case .datastoreResumed: [MetadataKey.datastore, MetadataKey.reason]
        case .rateLimited: [MetadataKey.site, MetadataKey.retryAfter]
        case .mapGrown: [MetadataKey.previousMapSize, MetadataKey.mapSize]
        case .daemonReady: [MetadataKey.version, MetadataKey.datastores]
        case .daemonStopping: [MetadataKey.reason]
        case .configReloaded: [MetadataKey.file, MetadataKey.datastores]
        case .configRejected: [MetadataKey.file, MetadataKey.reason]
        case .datastoreFileRejected: [MetadataKey.file, MetadataKey.reason]
        case .creditsAdded: [MetadataKey.credits, MetadataKey.balance, MetadataKey.reason]
        }
    }

    /// `extra` plus the `message_id` key naming this event.
    public func metadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = extra
        metadata[MetadataKey.messageID] = .string(rawValue)
        return metadata
    }
}

/// The metadata keys Tributary logs with. The journal handler writes each as an upper-case
/// `TRIBUTARY_` field (`page_id` → `TRIBUTARY_PAGE_ID`); ``messageID`` becomes `MESSAGE_ID`.
public enum MetadataKey {
    /// The event id (see ``TributaryEvent``); becomes the journal's `MESSAGE_ID`.
    public static let messageID = "message_id"
    /// A datastore's name.
    public static let datastore = "datastore"
    /// A datastore state (`syncing_metadata`, `processing`, `ready`, `paused`, `failed`).
    public static let state = "state"
    /// The state a datastore left.
    public static let previousState = "previous_state"
    /// Why something happened, in words.
    public static let reason = "reason"
    /// A Confluence page id.
    public static let pageID = "page_id"
    /// A job queue id.
    public static let jobID = "job_id"
    /// A Confluence site (scheme and host).
    public static let site = "site"
    /// Seconds to wait before the next request.
    public static let retryAfter = "retry_after"
    /// A credit balance.
    public static let balance = "balance"
    /// A number of credits.
    public static let credits = "credits"
    /// A number of pages.
    public static let pages = "pages"
    /// The LMDB map size in bytes, after a change.
    public static let mapSize = "map_size"
    /// The LMDB map size in bytes, before a change.
    public static let previousMapSize = "previous_map_size"
    /// A file path.
    public static let file = "file"
    /// The daemon's version.
    public static let version = "version"
    /// A number of datastores.
    public static let datastores = "datastores"
}
