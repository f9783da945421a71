#ifndef TRIBUTARY_CSYSTEMD_SHIM_H
#define TRIBUTARY_CSYSTEMD_SHIM_H
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/// The layout of the kernel's `struct ucred`. glibc declares it only under _GNU_SOURCE, and
/// defining that here would make this module's view of libc differ from Swift's Glibc module.
struct tr_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

/// Credentials of the peer of a connected AF_UNIX socket (SO_PEERCRED).
/// Returns 0 on success, or -errno.
static inline int tr_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct tr_ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        return -errno;
    }
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}
#endif
