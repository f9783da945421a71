import CSystemd
import Glibc

/// Who is on the other end of a connected Unix socket, as the kernel recorded it at connect().
public struct PeerCredentials: Sendable, Equatable {
    public var processID: pid_t
    public var userID: uid_t
    public var groupID: gid_t

    public init(processID: pid_t, userID: uid_t, groupID: gid_t) {
        self.processID = processID
        self.userID = userID
        self.groupID = groupID
    }

    /// Reads `SO_PEERCRED` of a connected AF_UNIX socket.
    public static func of(socket fileDescriptor: Int32) throws(SystemdError) -> PeerCredentials {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        let rc = tr_peer_credentials(fileDescriptor, &pid, &uid, &gid)
        if rc < 0 {
            throw SystemdError(operation: "reading SO_PEERCRED", code: -rc)
        }
        return PeerCredentials(processID: pid, userID: uid, groupID: gid)
    }
}
