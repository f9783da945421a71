import ArgumentParser
import Control
import Foundation

/// `tributaryctl ask NAME "question"`.
struct Ask: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a question from a datastore, citing the pages used.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        // TODO(ask helper)
        throw CtlFailure("tributaryctl ask is not implemented yet", status: .error)
    }
}
