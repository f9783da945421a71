import Confluence
import Foundation
import Search
import Testing
@testable import Engine

/// A listing batch's conversion, split over the cores, gives what converting it page by page gives.
@Suite("Page conversion")
struct PageConversionTests {
    static let site = ConfluenceSite(flavor: .cloud, host: "example.atlassian.net", contextPath: "/wiki")

    @Test("Converted in parts, a batch keeps its pages' order and each page's chunks, text and outcome")
    func parallelEqualsSequential() async throws {
        let temporary = try TemporaryEngineStore()
        var options = EngineOptions()
        options.maxBodyBytes = 2_000
        let conversion = PageConversion(options: options, index: try SearchIndex(store: temporary.store))
        let pages = (0..<101).map { number -> Page in
            let body: String?
            switch number % 17 {
            case 3: body = nil  // no body: failed
            case 5: body = "<p>" + String(repeating: "too large ", count: 300) + "</p>"  // skipped
            case 7: body = ""  // findable by its title alone
            default:
                body = "<h1>Part \(number)</h1><p>Paragraph \(number) about kestrels and <code>fn_\(number)()</code>.</p>"
                    + "<table><tr><th>key</th></tr><tr><td>value \(number)</td></tr></table>"
            }
            return Page(id: "P\(number)", title: "Page \(number)", version: number + 1, webui: "/spaces/DOC/pages/P\(number)",
                        storageBody: body)
        }
        let sequential = conversion.convert(ids: pages.map(\.id), fetched: pages, site: Self.site)
        let parallel = await conversion.convertInParallel(pages, site: Self.site)
        #expect(PageConversion.parallelism == 1 || pages.count / PageConversion.minimumPagesPerPart > 1)
        #expect(parallel.updates == sequential.updates)
        #expect(parallel.results.map(\.pageId) == pages.map(\.id))
        #expect(parallel.results.map(\.pageId) == sequential.results.map(\.pageId))
        #expect(parallel.results.map(\.disposition) == sequential.results.map(\.disposition))
        #expect(parallel.results.map(\.chunks) == sequential.results.map(\.chunks))
        #expect(parallel.results.map(\.tokens) == sequential.results.map(\.tokens))
        #expect(Set(sequential.results.map(\.disposition)) == [.indexed, .failed, .skipped])
    }
}
