import ConcurrencyTestSupport
import Testing
import TaskThreads

@Suite("ThreadPoolExecutor: tasks on threads of their own")
struct ThreadPoolExecutorTests {
    @Test("A background pool's jobs run at the raised nice value; a normal pool's at the process's")
    func priority() async {
        let background = ThreadPoolExecutor(name: "test-bg", threads: 1, priority: .background(nice: 10))
        let normal = ThreadPoolExecutor(name: "test-normal", threads: 1)
        let processNice = currentThreadNice()
        let low = await Task(executorPreference: background) { currentThreadNice() }.value
        let same = await Task(executorPreference: normal) { currentThreadNice() }.value
        #expect(low == max(processNice, 10))
        #expect(same == processNice)
        background.shutdown()
        normal.shutdown()
    }

    @Test("After shutdown, tasks that prefer the pool still run (on the global executor)")
    func afterShutdown() async {
        let pool = ThreadPoolExecutor(name: "test-stop", threads: 2)
        #expect(pool.threadCount == 2)
        pool.shutdown()
        let value = await Task(executorPreference: pool) { 41 + 1 }.value
        #expect(value == 42)
    }
}
