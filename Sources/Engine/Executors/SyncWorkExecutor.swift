import Foundation
import TaskThreads

/// Where sync jobs run: threads of their own at a lower CPU priority (nice 10), not the global
/// cooperative pool.
///
/// A job converts, chunks and indexes batches of pages in long stretches of synchronous work and
/// waits for the writer lock and `fdatasync` on its thread. On the global pool (one thread per
/// core) three syncs kept every thread busy, and a search over the control socket queued behind
/// them: p99 667 ms on two cores (issue #13, defect 9). Here they take only these threads, and
/// the kernel gives a core first to threads of normal priority that are ready (the socket's call
/// threads, the event loop), so a search waits for no batch; with the cores otherwise idle the
/// syncs run as fast as before.
enum SyncWorkExecutor {
    /// One pool for every engine of the process. Two more threads than cores, so jobs blocked on
    /// the writer lock or a disk flush leave threads to the ones with CPU work.
    static let shared = ThreadPoolExecutor(
        name: "sync-work", threads: ProcessInfo.processInfo.activeProcessorCount + 2, priority: .background(nice: 10))

    /// The single-pass listing's conversions, which run ahead of the job's commits: lower still
    /// (nice 15), so the writer, the one stage that cannot be split, gets a core first and the
    /// conversions take what it leaves. Sharing the job's pool and priority, the commit waited for
    /// a core behind the batches converting ahead of it; on two cores a 20,000-page create→ready
    /// took 3.1–3.5 s against 3.0–3.2 s here (four interleaved bench invocations each). One
    /// thread per core: conversion is pure CPU work, and a task waiting for its request holds no
    /// thread. Child tasks (a batch's parts) run here too, as they inherit the preference.
    static let conversions = ThreadPoolExecutor(
        name: "sync-convert", threads: ProcessInfo.processInfo.activeProcessorCount, priority: .background(nice: 15))
}
