import Testing
@testable import Content

@Suite("Benchmark helpers")
struct ThroughputTests {
    @Test func syntheticStorageConvertsCleanlyAndReachesItsSize() {
        let storage = ContentBenchmark.syntheticStorage(bytes: 50_000)
        #expect(storage.utf8.count >= 50_000)
        let document = StorageFormat.convert(storage)
        #expect(document.warnings.isEmpty)
        #expect(document.macroFlags.isEmpty)
        #expect(document.sections.count > 20)
        #expect(!MarkdownRenderer.render(document).contains("<ac:"))
        #expect(ContentBenchmark.conversionThroughput(of: storage, iterations: 1) > 0)
    }
}
