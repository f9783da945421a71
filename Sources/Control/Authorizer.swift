import Glibc
import Varlink

/// Decides who may call the mutating methods. Reading and searching is open to whoever can open
/// the socket (its file mode is the first gate); mutations need uid 0, one of the privileged uids
/// (the daemon's own), or membership of the admin group. The same peers are privileged for the
/// control socket's connection slots: they may use the reserve and have no per-user share.
///
/// Group membership is the peer's primary gid or one of its supplementary groups as the kernel
/// recorded them at `connect()` (`SO_PEERGROUPS`). That is the caller process's real
/// credentials, the same ones the kernel used to let it open the socket file, and it cannot
/// race with pid reuse the way reading `/proc/PID/status` later could. A user added to the group
/// needs a new login session, exactly as for the socket file itself.
public struct Authorizer: Sendable, Equatable {
    /// Uids that may always mutate (`system` puts 0 and the daemon's own uid here).
    public var privilegedUserIDs: Set<UInt32>
    /// The admin group's gid; nil when the group does not exist on this system.
    public var groupID: UInt32?

    /// An explicit policy (tests inject one; the daemon uses `system(groupName:)`).
    public init(privilegedUserIDs: Set<UInt32>, groupID: UInt32?) {
        self.privilegedUserIDs = privilegedUserIDs
        self.groupID = groupID
    }

    /// The daemon's policy: root, the daemon's own uid, and the members of `groupName`
    /// (looked up once, here; call at startup, before threads that could also use getgrnam).
    public static func system(groupName: String = "tributary") -> Authorizer {
        Authorizer(privilegedUserIDs: [0, getuid()], groupID: getgrnam(groupName).map { $0.pointee.gr_gid })
    }

    /// True when `peer` may call a mutating method.
    public func mayMutate(_ peer: VarlinkPeer) -> Bool {
        if privilegedUserIDs.contains(peer.userID) { return true }
        guard let groupID else { return false }
        return peer.groupID == groupID || peer.supplementaryGroups.contains(groupID)
    }
}
