import ArgumentParser
import Control
import Foundation

/// `tributaryctl page NAME PAGE_ID|URL`.
struct Page: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a page's Markdown from the index, whole, one section, or a part.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        // TODO(index helper)
        throw CtlFailure("tributaryctl page is not implemented yet", status: .error)
    }
}
