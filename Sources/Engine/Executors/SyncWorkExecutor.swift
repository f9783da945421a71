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
}
