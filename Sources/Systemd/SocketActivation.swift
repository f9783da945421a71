import CSystemd
import Glibc

/// A listening socket passed by systemd (socket activation).
public struct PassedSocket: Sendable, Equatable {
    /// The file descriptor, already listening.
    public var fileDescriptor: Int32
    /// Its `FileDescriptorName=` (systemd defaults it to the socket unit's name).
    public var name: String
}

/// Reads the sockets systemd passed through `$LISTEN_FDS` / `$LISTEN_FDNAMES`.
public enum SocketActivation {
    /// The passed sockets, in order; empty when the process was not socket-activated.
    /// The environment variables are removed so child processes do not inherit them.
    public static func passedSockets() throws(SystemdError) -> [PassedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        if count < 0 {
            throw SystemdError(operation: "sd_listen_fds_with_names", code: -count)
        }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        return (0..<count).map { offset in
            let name = names?[Int(offset)].map { String(cString: $0) } ?? "unknown"
            return PassedSocket(fileDescriptor: SD_LISTEN_FDS_START + offset, name: name)
        }
    }

    /// The passed socket named `name`, if any.
    public static func passedSocket(named name: String) throws(SystemdError) -> PassedSocket? {
        try passedSockets().first { $0.name == name }
    }
}
