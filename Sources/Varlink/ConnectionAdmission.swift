/// Who gets one of the server's connection slots. Unprivileged peers share the slots outside the
/// reserve, each uid at most `maxConnectionsPerUser` of them; privileged peers may take any free
/// slot, the reserve included. So no number of silent connections from one user, nor from all
/// unprivileged users together, can shut a privileged peer (root, the daemon's group) out.
/// Loop thread only.
struct ConnectionAdmission {
    /// Why a connection was refused.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        /// Every slot is taken.
        case full
        /// Only reserved slots are left, and the peer is not privileged.
        case reserved
        /// The peer's uid holds its whole share.
        case userShare

        var description: String {
            switch self {
            case .full: "every connection slot is taken"
            case .reserved: "only the slots reserved for privileged peers are free"
            case .userShare: "this user holds its whole share of connections"
            }
        }
    }

    /// A taken slot, handed back to `release(_:)` when the connection closes.
    struct Slot: Equatable {
        let userID: UInt32
        let privileged: Bool
    }

    private let maxConnections: Int
    private let maxUnprivileged: Int
    private let maxPerUser: Int
    private let isPrivileged: @Sendable (VarlinkPeer) -> Bool
    private(set) var open = 0
    private(set) var unprivilegedOpen = 0
    /// Open connections of each unprivileged uid; a uid with none has no entry.
    private var openByUser: [UInt32: Int] = [:]

    init(limits: VarlinkServer.Limits, isPrivileged: @escaping @Sendable (VarlinkPeer) -> Bool) {
        maxConnections = max(0, limits.maxConnections)
        maxUnprivileged = max(0, limits.maxConnections - max(0, limits.reservedConnections))
        maxPerUser = max(0, limits.maxConnectionsPerUser)
        self.isPrivileged = isPrivileged
    }

    /// Takes a slot for `peer`, or says why there is none for it.
    mutating func admit(_ peer: VarlinkPeer) -> Result<Slot, Refusal> {
        guard open < maxConnections else { return .failure(.full) }
        if isPrivileged(peer) {
            open += 1
            return .success(Slot(userID: peer.userID, privileged: true))
        }
        guard unprivilegedOpen < maxUnprivileged else { return .failure(.reserved) }
        let held = openByUser[peer.userID, default: 0]
        guard held < maxPerUser else { return .failure(.userShare) }
        openByUser[peer.userID] = held + 1
        unprivilegedOpen += 1
        open += 1
        return .success(Slot(userID: peer.userID, privileged: false))
    }

    /// Frees the slot of a closed connection.
    mutating func release(_ slot: Slot) {
        open -= 1
        guard !slot.privileged else { return }
        unprivilegedOpen -= 1
        let held = openByUser[slot.userID, default: 1] - 1
        openByUser[slot.userID] = held > 0 ? held : nil
    }

    /// Open connections of unprivileged `userID`.
    func openConnections(ofUser userID: UInt32) -> Int {
        openByUser[userID, default: 0]
    }
}

/// Keeps refusals from flooding the log: at most one line per uid per interval, and that line
/// says how many refusals of the uid went unlogged before it. Loop thread only.
struct RefusalLogLimiter {
    private let interval: Duration
    /// When each uid's last line was written, and the refusals held back since.
    private var lastLine: [UInt32: (at: ContinuousClock.Instant, heldBack: Int)] = [:]

    init(interval: Duration) {
        self.interval = interval
    }

    /// Nil when this refusal of `userID` is to go unlogged; otherwise how many were held back
    /// since the uid's previous line.
    mutating func admitLine(for userID: UInt32, now: ContinuousClock.Instant) -> Int? {
        if let previous = lastLine[userID], now < previous.at + interval {
            lastLine[userID] = (previous.at, previous.heldBack + 1)
            return nil
        }
        let heldBack = lastLine[userID]?.heldBack ?? 0
        // Entries older than the interval say nothing any more; dropping them bounds the table.
        if lastLine.count >= 1024 { lastLine = lastLine.filter { now < $0.value.at + interval } }
        lastLine[userID] = (now, 0)
        return heldBack
    }
}
