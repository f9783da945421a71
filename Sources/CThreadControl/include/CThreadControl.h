#ifndef TRIBUTARY_CTHREADCONTROL_H
#define TRIBUTARY_CTHREADCONTROL_H

/// Raises the calling thread's nice value (Linux: setpriority(PRIO_PROCESS, gettid(), nice)
/// sets that thread alone). Returns 0, or an errno value.
int tributary_thread_set_nice(int nice);

/// The calling thread's nice value.
int tributary_thread_nice(void);

/// Names the calling thread (at most 15 bytes are kept). Returns 0, or an errno value.
int tributary_thread_set_name(const char *name);

#endif
