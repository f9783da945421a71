#ifndef TRIBUTARY_CSYSTEMD_SHIM_H
#define TRIBUTARY_CSYSTEMD_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/// Credentials of the peer of a connected AF_UNIX socket (SO_PEERCRED).
/// `struct ucred` is hidden from Swift behind _GNU_SOURCE, so it is read here.
/// Returns 0 on success, or -errno.
static inline int tr_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
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
