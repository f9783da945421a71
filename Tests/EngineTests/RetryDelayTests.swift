import Testing
@testable import Engine

@Suite("Retry delay of a failed job")
struct RetryDelayTests {
    @Test("A job's retry waits the base delay, doubled per attempt, at most the maximum",
          arguments: [(0, 2_000), (1, 2_000), (2, 4_000), (3, 8_000), (7, 128_000), (8, 256_000), (9, 300_000), (500, 300_000)] as [(Int, Int64)])
    func retryDelay(attempt: Int, millis: Int64) {
        var options = EngineOptions()
        options.retryBaseMillis = 2_000
        options.maxRetryDelayMillis = 300_000
        #expect(options.retryDelay(attempt: attempt) == millis)
    }
}
