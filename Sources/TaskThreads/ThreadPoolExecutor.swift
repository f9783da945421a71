import CThreadControl
import Glibc

/// A task executor backed by threads of its own, so the work a task runs there neither waits
/// for the global cooperative pool nor holds it up.
///
/// The global pool has one thread per core. Anything that keeps those threads busy (a sync
/// converting and indexing a batch, a write waiting for the writer lock) queues every other task
/// behind it; on two cores a search waited hundreds of milliseconds. Run latency-sensitive work
/// (`Task(executorPreference:)`) on one pool at normal priority, and CPU-heavy background work on
/// another whose threads have a lower CPU priority (``Priority/background(nice:)``), so the
/// kernel gives a core to the former first.
///
/// ```swift
/// let calls = ThreadPoolExecutor(name: "varlink-call", threads: 4)
/// Task(executorPreference: calls) { await handle(request) }
/// ```
///
/// Jobs run in the order they arrive. `shutdown()` lets the threads end once the queue is empty;
/// jobs that come later (a task still running that preferred this pool), and every job should no
/// thread start at all, go to the global executor instead: slower under load, never stuck.
public final class ThreadPoolExecutor: TaskExecutor, @unchecked Sendable {
    // Safety: `jobs`, `head`, `idle` and `stopping` are only touched with `mutex` held;
    // `threadCount` is set in `init` before any job can arrive; the rest is immutable.

    /// The CPU priority of a pool's threads.
    public enum Priority: Sendable, Equatable {
        /// The process's own priority.
        case normal
        /// `nice` raised by this much (1 to 19) on each thread only: the kernel gives these
        /// threads a core after threads of normal priority that are ready to run (a nice 10 thread
        /// weighs about a tenth of a normal one), but never starves them.
        case background(nice: Int32)
    }

    /// The prefix of the threads' names (`/proc/PID/task/TID/comm` shows 15 bytes).
    public let name: String
    /// How many threads run jobs (0 only when none could be started).
    public private(set) var threadCount = 0
    public let priority: Priority

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [UnownedJob] = []
    private var head = 0
    /// Threads blocked waiting for a job.
    private var idle = 0
    private var stopping = false

    /// Starts `threads` threads (at least one) at `priority`.
    public init(name: String, threads: Int, priority: Priority = .normal) {
        self.name = name
        self.priority = priority
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        var started = 0
        for index in 0..<max(1, threads) where WorkerThread(pool: self, name: "\(name)-\(index)").start() {
            started += 1
        }
        threadCount = started
    }

    deinit {
        // Only once every worker has ended: each holds the pool.
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        let taken = threadCount > 0 && !stopping
        if taken { jobs.append(job) }
        let wake = taken && idle > 0
        pthread_mutex_unlock(mutex)
        if !taken {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        } else if wake {
            pthread_cond_signal(condition)
        }
    }

    /// Lets the threads end once they have run every queued job; later jobs go to the global
    /// executor. For pools made per server (a pool made once per process never needs it).
    public func shutdown() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_mutex_unlock(mutex)
        pthread_cond_broadcast(condition)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Jobs waiting for a thread now.
    public var queuedJobs: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return jobs.count - head
    }

    /// A worker's loop: take the next job, run it, repeat until shut down.
    fileprivate func work() {
        applyPriority()
        let executor = asUnownedTaskExecutor()
        while let job = nextJob() {
            job.runSynchronously(on: executor)
        }
    }

    /// The next job; nil once shut down with nothing queued.
    private func nextJob() -> UnownedJob? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == jobs.count {
            if stopping { return nil }
            idle += 1
            pthread_cond_wait(condition, mutex)
            idle -= 1
        }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: jobs.capacity <= 1024)
            head = 0
        } else if head >= 1024 {
            // A queue that never drains: drop the done part now and then.
            jobs.removeFirst(head)
            head = 0
        }
        return job
    }

    private func applyPriority() {
        guard case .background(let nice) = priority else { return }
        // This thread alone (see the shim). Raising nice needs no privilege; should it fail the
        // thread stays at normal priority, which is only slower.
        _ = tributary_thread_set_nice(min(max(nice, 1), 19))
    }
}

/// One worker of a pool: a detached, named pthread.
private final class WorkerThread {
    let pool: ThreadPoolExecutor
    let name: String

    init(pool: ThreadPoolExecutor, name: String) {
        self.pool = pool
        self.name = name
    }

    /// Whether the thread started.
    func start() -> Bool {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { context in
            let worker = Unmanaged<WorkerThread>.fromOpaque(context!).takeRetainedValue()
            _ = tributary_thread_set_name(worker.name)
            worker.pool.work()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<WorkerThread>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
