import Foundation
import Synchronization

/// Collects the waits of one client's requests (several may be in flight) and tells the
/// client's observer the one that matters most, each time it changes, and nil when none is left.
///
/// A request that waits for the site's pause says more than one retrying a 503, which says more
/// than one waiting for a slow answer; among equals the longest wait wins. The observer is
/// called under a lock, so reports arrive in order: it must be quick and must not call back
/// into the client.
final class WaitReporter: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        var active: [UInt64: ClientWait] = [:]
        var reported: ClientWait?
    }

    private let state = Mutex(State())
    private let observer: (@Sendable (ClientWait?) -> Void)?
    let origin: String

    init(origin: String, observer: (@Sendable (ClientWait?) -> Void)?) {
        self.origin = origin
        self.observer = observer
    }

    /// Whether anyone listens (no timers or bookkeeping otherwise).
    var isObserved: Bool { observer != nil }

    /// A handle for one request's waits; it holds at most one wait at a time.
    func request() -> RequestWaits {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return RequestWaits(reporter: self, id: id)
    }

    fileprivate func show(_ wait: ClientWait?, for id: UInt64) {
        guard let observer else { return }
        state.withLock { state in
            if let wait { state.active[id] = wait } else { state.active[id] = nil }
            let current = Self.mostTelling(Array(state.active.values))
            guard current != state.reported else { return }
            state.reported = current
            observer(current)
        }
    }

    static func mostTelling(_ waits: [ClientWait]) -> ClientWait? {
        waits.max { rank($0) < rank($1) }
    }

    /// Orders waits by what they tell: the kind first, then how long they last.
    private static func rank(_ wait: ClientWait) -> (Int, Double) {
        switch wait.kind {
        case .throttled(let until): (3, until.timeIntervalSince1970)
        case .retrying(let until, _, _): (2, until.timeIntervalSince1970)
        case .awaitingResponse(let since): (1, -since.timeIntervalSince1970)
        }
    }
}

/// The waits of one request: ``show(_:reason:)`` replaces the previous one, ``clear()`` ends it.
struct RequestWaits: Sendable {
    fileprivate let reporter: WaitReporter
    fileprivate let id: UInt64

    func show(_ kind: ClientWait.Kind, reason: String) {
        reporter.show(ClientWait(kind: kind, origin: reporter.origin, reason: reason), for: id)
    }

    func clear() {
        reporter.show(nil, for: id)
    }
}
