#ifndef TRIBUTARY_CSANDBOXSPAWN_H
#define TRIBUTARY_CSANDBOXSPAWN_H

#include <stddef.h>

/// Limits applied in the child between fork and exec (0 = leave that limit alone).
struct tributary_sandbox_limits {
    long long address_space_bytes;  // RLIMIT_AS
    long long cpu_seconds;          // RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL one second later
    long long file_size_bytes;      // RLIMIT_FSIZE (0 is a real limit here: no file may grow)
    long long open_files;           // RLIMIT_NOFILE
    double wall_seconds;            // the parent SIGKILLs the child's process group after this
    size_t stdout_capacity;         // more output than this is a failure (the child is killed)
    size_t stderr_capacity;         // stderr beyond this is dropped (the tail is not kept)
    const char *const *readable_paths;  // NULL-terminated: with Landlock, the only paths the child may
                                        // read or execute beneath (NULL: no Landlock ruleset)
};

/// How the child ended.
struct tributary_sandbox_result {
    int spawn_errno;        // non-zero: fork or exec failed with this errno, nothing ran
    int exited;             // 1: exited with exit_code
    int exit_code;
    int signal;             // the terminating signal, when not exited
    int timed_out;          // 1: killed at the wall-clock limit
    int output_overflow;    // 1: killed for writing more than stdout_capacity
    int network_isolated;   // 1: the child runs in a new network namespace
    int sockets_denied;     // 1: the child's socket(2) fails (a seccomp filter)
    int landlocked;         // 1: a Landlock ruleset confines the child's file access
    long long max_rss_kib;  // the child's peak resident set
};

/// Runs `path` with `argv` and `envp` in a new session, stdin closed, `file_fd` as descriptor 3,
/// stdout and stderr on pipes, every other descriptor closed, PR_SET_NO_NEW_PRIVS and a parent-death
/// SIGKILL, the limits above, a seccomp filter that fails socket(2), where the kernel has Landlock
/// read/execute access beneath `readable_paths` only (no writes anywhere), and (where namespaces
/// are allowed) a new user and network namespace without interfaces. Blocks until the child ends or is killed. On return `*out` holds
/// stdout (malloc'd, caller frees, may be NULL when empty) and `err` the first stderr bytes.
/// Returns 0, or -1 with result->spawn_errno set.
int tributary_sandbox_run(const char *path, char *const argv[], char *const envp[], int file_fd,
                          const struct tributary_sandbox_limits *limits,
                          unsigned char **out, size_t *out_length,
                          char *err, size_t *err_length,
                          struct tributary_sandbox_result *result);

#endif
