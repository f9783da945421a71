import ArgumentParser
import Foundation
import InputLimits

/// Usage errors (exit status 2) for numbers and URLs outside their documented ranges, checked
/// before anything is sent, so a bad value never looks like a daemon error (issue #13).
enum CtlRanges {
    static func check<Bound>(_ value: Bound?, _ range: InputRange<Bound>, option: String) throws {
        guard let value, !range.contains(value) else { return }
        throw ValidationError("\(option) must be \(range.limits), not \(range.text(value))")
    }

    static func checkURL(_ url: String, option: String) throws {
        if let problem = URLInput.problem(url, tokenHint: "--token-file FILE (or --token-file - for standard input)") {
            throw ValidationError("\(option) \(problem)")
        }
    }
}

/// Reads a token with a bound, so a huge file is refused here and never becomes a message the
/// daemon drops (its limit is 1 MiB).
enum TokenInput {
    private static var limitText: String { "\(Limits.tokenBytes.upperBound / 1_024) KiB" }

    /// Reads up to the limit plus room for trailing whitespace; with `drain` (a pipe) the rest
    /// is read and dropped, so the writer never meets a closed pipe.
    static func read(_ handle: FileHandle, from source: String, drain: Bool = false) throws(CtlFailure) -> Data {
        let cap = Limits.tokenBytes.upperBound + 4_096
        var data = Data()
        var total = 0
        do {
            while drain || total < cap, let chunk = try handle.read(upToCount: drain ? 65_536 : cap - total), !chunk.isEmpty {
                total += chunk.count
                if data.count < cap { data.append(chunk.prefix(cap - data.count)) }
            }
        } catch {
            throw CtlFailure("cannot read the token from \(source)", status: .usage)
        }
        if total >= cap {
            throw CtlFailure("the token in \(source) is longer than \(limitText); a token is at most \(limitText)", status: .usage)
        }
        return data
    }

    static func checkSize(_ token: String) throws(CtlFailure) {
        guard Limits.tokenBytes.contains(token.utf8.count) else {
            throw CtlFailure("the token is longer than \(limitText); a token is at most \(limitText)", status: .usage)
        }
    }
}
