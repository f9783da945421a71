/// Where a datastore is in its life: `syncingMetadata → processing → ready`, or stopped in
/// `paused` / `failed` with a reason a person can act on.
public enum DatastoreState: Sendable, Equatable, Codable {
    /// Listing pages without bodies and diffing against the manifest.
    case syncingMetadata
    /// Fetching bodies, converting, indexing and charging credits, batch by batch.
    case processing
    /// Everything wanted is indexed (pages that failed individually are counted separately).
    case ready
    /// Stopped until the cause goes away: credits are added, or the user resumes.
    case paused(PauseReason)
    /// Stopped by a cause that needs a person: credentials, permissions, a missing space, configuration.
    case failed(FailureReason)

    /// The state's name in the control protocol and the journal.
    public var name: String {
        switch self {
        case .syncingMetadata: "syncing_metadata"
        case .processing: "processing"
        case .ready: "ready"
        case .paused: "paused"
        case .failed: "failed"
        }
    }

    /// The reason, for paused and failed states.
    public var reason: String? {
        switch self {
        case .paused(let reason): reason.description
        case .failed(let reason): reason.description
        default: nil
        }
    }

    /// Whether the engine may move a datastore from this state to `next`.
    public func canTransition(to next: DatastoreState) -> Bool {
        switch (self, next) {
        case (_, .failed), (_, .paused):
            return true
        case (.syncingMetadata, .processing), (.syncingMetadata, .ready):
            return true
        case (.processing, .ready), (.processing, .syncingMetadata):
            return true
        case (.ready, .syncingMetadata):
            return true
        case (.paused, .syncingMetadata), (.paused, .processing):
            return true
        case (.failed, .syncingMetadata):
            return true
        default:
            return false
        }
    }
}

/// Why a datastore paused.
public enum PauseReason: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The next batch would take the balance below zero; `neededMillicredits` would let it run.
    case insufficientCredits(neededMillicredits: Int64)
    /// A person paused it.
    case byUser
    /// The state directory's filesystem is full (ENOSPC, EDQUOT, or the map at its configured
    /// maximum): about `neededBytes` more must be free. Writing resumes by itself once it is.
    case diskFull(neededBytes: Int64)

    /// The machine-readable reason code.
    public var code: String {
        switch self {
        case .insufficientCredits: "insufficient_credits"
        case .byUser: "paused_by_user"
        case .diskFull: "disk_full"
        }
    }

    public var description: String {
        switch self {
        case .insufficientCredits(let needed):
            "insufficient_credits: \(Credits.format(needed)) more credits are needed to continue; add credits to resume"
        case .byUser:
            "paused_by_user"
        case .diskFull(let needed):
            "disk_full: the state directory's filesystem needs about \((needed + 1_048_575) / 1_048_576) MiB more free space; writing resumes by itself when it is there"
        }
    }
}

/// Why a datastore failed, with what to check.
public struct FailureReason: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The kind of cause.
    public enum Kind: String, Sendable, Codable {
        case authentication
        case permission
        case spaceNotFound = "space_not_found"
        case configuration
        case unreachable
        /// The server answered, but not with what the API documents (not JSON, HTML, truncated, too large).
        case badResponse = "bad_response"
        /// The address redirected elsewhere (another host or path): the URL is probably wrong.
        case redirected
    }

    public var kind: Kind
    /// What happened and what to check, never containing a secret.
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String {
        "\(kind.rawValue): \(message)"
    }
}
