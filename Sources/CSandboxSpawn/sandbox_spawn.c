#define _GNU_SOURCE
#include "CSandboxSpawn.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void set_limit(int resource, long long soft, long long hard) {
    struct rlimit limit = {(rlim_t)soft, (rlim_t)hard};
    (void)setrlimit(resource, &limit);
}

#if defined(__x86_64__)
#define TRIBUTARY_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TRIBUTARY_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/// A seccomp filter that makes socket(2) (and io_uring, which can open sockets too) fail with
/// EACCES: no network, and no Unix socket to the daemon or D-Bus either, whether or not a network
/// namespace could be made. It stacks on the unit's own filter. Returns 0 when installed.
static int deny_sockets(void) {
#ifdef TRIBUTARY_AUDIT_ARCH
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TRIBUTARY_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),  // another ABI: nothing at all
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),  // x32 numbers
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 2, 0),
#ifdef __NR_io_uring_setup
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 1, 0),
#else
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xFFFFFFFF, 1, 0),
#endif
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
    };
    struct sock_fprog program = {(unsigned short)(sizeof filter / sizeof filter[0]), filter};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
#else
    return -1;
#endif
}

/// A Landlock ruleset (made in the parent: it opens paths, which the child must not) that lets
/// the child read and execute beneath `paths` and write nothing anywhere. -1 where the kernel has
/// no Landlock or a filter refuses its system calls.
static int landlock_ruleset(const char *const *paths) {
#ifdef SYS_landlock_create_ruleset
    if (paths == NULL) return -1;
    const __u64 file_rights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE;
    const __u64 directory_rights = file_rights | LANDLOCK_ACCESS_FS_READ_DIR;
    // Every file-system right the kernel knows (ABI 1, plus refer and truncate where it has them):
    // all that is not granted below is denied.
    struct landlock_ruleset_attr attributes = {
        .handled_access_fs = directory_rights | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR
            | LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR
            | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO
            | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM,
    };
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1) return -1;
#ifdef LANDLOCK_ACCESS_FS_REFER
    if (abi >= 2) attributes.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
    if (abi >= 3) attributes.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0);
    if (ruleset < 0) return -1;
    for (const char *const *path = paths; *path != NULL; path++) {
        int fd = open(*path, O_PATH | O_CLOEXEC);
        if (fd < 0) continue;  // a path this system does not have
        struct stat info;
        struct landlock_path_beneath_attr rule = {.allowed_access = directory_rights, .parent_fd = fd};
        if (fstat(fd, &info) == 0 && !S_ISDIR(info.st_mode)) rule.allowed_access = file_rights;
        (void)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
        close(fd);
    }
    // Programs the helper may run (a shell's `2>/dev/null`) write there; it holds nothing.
    int null_fd = open("/dev/null", O_PATH | O_CLOEXEC);
    if (null_fd >= 0) {
        struct landlock_path_beneath_attr rule = {
            .allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE, .parent_fd = null_fd};
        (void)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
        close(null_fd);
    }
    return ruleset;
#else
    (void)paths;
    return -1;
#endif
}

/// Moves `fd` to `target` in the child; fds were first lifted above 10 so none collide.
static int place(int fd, int target) {
    if (dup2(fd, target) < 0) return -1;
    return 0;
}

/// The child side: only async-signal-safe calls until execve (the parent may have threads).
static void child(const char *path, char *const argv[], char *const envp[], int file_fd, int out_fd, int err_fd,
                  int report_fd, int ruleset_fd, const struct tributary_sandbox_limits *limits) {
    int lifted_ruleset = ruleset_fd >= 0 ? fcntl(ruleset_fd, F_DUPFD_CLOEXEC, 10) : -1;
    int lifted_file = fcntl(file_fd, F_DUPFD, 10);
    int lifted_out = fcntl(out_fd, F_DUPFD, 10);
    int lifted_err = fcntl(err_fd, F_DUPFD, 10);
    int lifted_report = fcntl(report_fd, F_DUPFD_CLOEXEC, 10);
    if (lifted_file < 0 || lifted_out < 0 || lifted_err < 0 || lifted_report < 0) goto fail;
    if (place(lifted_out, 1) < 0 || place(lifted_err, 2) < 0 || place(lifted_file, 3) < 0) goto fail;
    if (place(lifted_report, 4) < 0) goto fail;
    (void)fcntl(4, F_SETFD, FD_CLOEXEC);
    close(0);
    (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    // Before the descriptors go: the ruleset's is one of them.
    int landlocked = 0;
#ifdef SYS_landlock_restrict_self
    if (lifted_ruleset >= 0) landlocked = syscall(SYS_landlock_restrict_self, lifted_ruleset, 0) == 0;
#endif
    // Everything above the report pipe goes: the daemon's sockets, its LMDB, its logs.
    if (syscall(SYS_close_range, 5U, ~0U, 0) != 0) {
        for (int fd = 5; fd < 65536; fd++) close(fd);
    }
    // Signal mask and ignored signals survive exec: the daemon's threads block or ignore some
    // (SIGPIPE, SIGXCPU would then never end a runaway helper). The child starts from defaults.
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    struct sigaction standard;
    memset(&standard, 0, sizeof standard);
    standard.sa_handler = SIG_DFL;
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) (void)sigaction(signal_number, &standard, NULL);
    }
    setsid();
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    // A network namespace of its own has only a downed loopback: no network at all. Unprivileged
    // users need a user namespace for it; root (or a unit with RestrictNamespaces=) may refuse both.
    int isolated = unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 || unshare(CLONE_NEWNET) == 0;
    if (limits->address_space_bytes > 0) set_limit(RLIMIT_AS, limits->address_space_bytes, limits->address_space_bytes);
    if (limits->cpu_seconds > 0) set_limit(RLIMIT_CPU, limits->cpu_seconds, limits->cpu_seconds + 1);
    if (limits->file_size_bytes >= 0) set_limit(RLIMIT_FSIZE, limits->file_size_bytes, limits->file_size_bytes);
    if (limits->open_files > 0) set_limit(RLIMIT_NOFILE, limits->open_files, limits->open_files);
    set_limit(RLIMIT_CORE, 0, 0);
    int sockets_denied = deny_sockets() == 0;
    // Tell the parent what held (bit 0: namespace, bit 1: socket filter, bit 2: Landlock): one byte, before exec
    // closes the pipe.
    unsigned char flag = (unsigned char)((isolated ? 1 : 0) | (sockets_denied ? 2 : 0) | (landlocked ? 4 : 0));
    if (write(4, &flag, 1) != 1) goto fail;
    execve(path, argv, envp);
fail:;
    int code = errno;
    unsigned char marker = 0xFF;
    (void)write(4, &marker, 1);
    (void)write(4, &code, sizeof code);
    _exit(127);
}

static int append(unsigned char **buffer, size_t *length, size_t *capacity, const unsigned char *bytes, size_t count) {
    if (*length + count > *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 65536;
        while (grown < *length + count) grown *= 2;
        unsigned char *next = realloc(*buffer, grown);
        if (next == NULL) return -1;
        *buffer = next;
        *capacity = grown;
    }
    memcpy(*buffer + *length, bytes, count);
    *length += count;
    return 0;
}

int tributary_sandbox_run(const char *path, char *const argv[], char *const envp[], int file_fd,
                          const struct tributary_sandbox_limits *limits,
                          unsigned char **out, size_t *out_length,
                          char *err, size_t *err_length,
                          struct tributary_sandbox_result *result) {
    memset(result, 0, sizeof *result);
    *out = NULL;
    *out_length = 0;
    *err_length = 0;
    int out_pipe[2], err_pipe[2], report_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) { result->spawn_errno = errno; return -1; }
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        result->spawn_errno = errno;
        close(out_pipe[0]); close(out_pipe[1]);
        return -1;
    }
    if (pipe2(report_pipe, O_CLOEXEC) != 0) {
        result->spawn_errno = errno;
        close(out_pipe[0]); close(out_pipe[1]); close(err_pipe[0]); close(err_pipe[1]);
        return -1;
    }
    int ruleset = landlock_ruleset(limits->readable_paths);
    pid_t pid = fork();
    if (pid == 0) child(path, argv, envp, file_fd, out_pipe[1], err_pipe[1], report_pipe[1], ruleset, limits);
    int fork_errno = errno;
    if (ruleset >= 0) close(ruleset);
    close(out_pipe[1]);
    close(err_pipe[1]);
    close(report_pipe[1]);
    if (pid < 0) {
        result->spawn_errno = fork_errno;
        close(out_pipe[0]); close(err_pipe[0]); close(report_pipe[0]);
        return -1;
    }

    // The report pipe: one flag byte, then EOF at exec; 0xFF and an errno when a step or exec
    // failed (after the flag byte, or instead of it).
    unsigned char report[2 + sizeof(int)];
    ssize_t got = 0, n;
    while ((n = read(report_pipe[0], report + got, sizeof report - got)) > 0 || (n < 0 && errno == EINTR)) {
        if (n > 0) got += n;
        if ((size_t)got == sizeof report) break;
    }
    close(report_pipe[0]);
    int marker = got >= 1 && report[0] == 0xFF ? 0 : (got >= 2 && report[1] == 0xFF ? 1 : -1);
    if (marker >= 0) {
        int code = EIO;
        if ((size_t)got >= (size_t)marker + 1 + sizeof code) memcpy(&code, report + marker + 1, sizeof code);
        result->spawn_errno = code;
        close(out_pipe[0]); close(err_pipe[0]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        return -1;
    }
    result->network_isolated = got >= 1 && (report[0] & 1) != 0;
    result->sockets_denied = got >= 1 && (report[0] & 2) != 0;
    result->landlocked = got >= 1 && (report[0] & 4) != 0;

    size_t out_capacity = 0;
    double deadline = monotonic_seconds() + limits->wall_seconds;
    struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_count = 2;
    unsigned char chunk[65536];
    while (open_count > 0) {
        double left = deadline - monotonic_seconds();
        if (left <= 0) { result->timed_out = 1; break; }
        int ready = poll(fds, 2, (int)(left * 1000) + 1);
        if (ready < 0) { if (errno == EINTR) continue; break; }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            ssize_t count = read(fds[i].fd, chunk, sizeof chunk);
            if (count < 0 && errno == EINTR) continue;
            if (count <= 0) { close(fds[i].fd); fds[i].fd = -1; open_count--; continue; }
            if (i == 0) {
                if (*out_length + (size_t)count > limits->stdout_capacity
                    || append(out, out_length, &out_capacity, chunk, (size_t)count) != 0) {
                    result->output_overflow = 1;
                    open_count = -1;
                    break;
                }
            } else if (*err_length < limits->stderr_capacity) {
                size_t keep = limits->stderr_capacity - *err_length;
                if ((size_t)count < keep) keep = (size_t)count;
                memcpy(err + *err_length, chunk, keep);
                *err_length += keep;
            }
        }
    }
    for (int i = 0; i < 2; i++) if (fds[i].fd >= 0) close(fds[i].fd);
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    // A child that closed its output may still run: the deadline holds until it is reaped.
    int killed = 0;
    for (;;) {
        if ((result->timed_out || result->output_overflow) && !killed) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            killed = 1;
        }
        pid_t done = wait4(pid, &status, killed ? 0 : WNOHANG, &usage);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) break;
        if (done == 0) {
            if (monotonic_seconds() >= deadline) {
                result->timed_out = 1;
            } else {
                struct timespec pause = {0, 5 * 1000 * 1000};
                nanosleep(&pause, NULL);
            }
        }
    }
    result->max_rss_kib = usage.ru_maxrss;
    if (WIFEXITED(status)) {
        result->exited = 1;
        result->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result->signal = WTERMSIG(status);
    }
    return 0;
}
