import Confluence
import Foundation
import Storage

/// What the sites' rate governors learned, kept across restarts: each site's back-off
/// deadline, so a restart loop cannot hammer a throttled site, and the rate its server was seen
/// to allow, so a restart paces right away. Owns the `site_backoff` and `site_rate` tables.
struct SitePacingMemory: Sendable {
    let store: Store
    /// Each site's back-off deadline (Unix milliseconds), by origin.
    let backoffs: Table<String, Int64>
    /// Each site's learned rate (thousandths of a request a second), by origin.
    let rates: Table<String, Int64>
    let governors: RateGovernorRegistry

    /// Saves every governor's deadline and learned rate, in the background.
    func persist() {
        let governors = governors
        let backoffs = backoffs
        let rates = rates
        let store = store
        Task {
            var deadlines: [(String, Int64)] = []
            var learned: [(String, Int64)] = []
            for (origin, governor) in governors.all() {
                if let until = await governor.backoffUntil {
                    deadlines.append((origin, Int64(until.timeIntervalSince1970 * 1_000)))
                }
                if let rate = await governor.learnedRate, rate.isFinite, rate > 0 {
                    learned.append((origin, Int64((rate * 1_000).rounded(.down))))
                }
            }
            guard !deadlines.isEmpty || !learned.isEmpty else { return }
            try? store.write { txn in
                for (origin, until) in deadlines { try txn.put(backoffs, origin, until) }
                for (origin, rate) in learned { try txn.put(rates, origin, rate) }
            }
        }
    }

    /// Seeds the governors with the deadlines still ahead of `now` and the rates an earlier run stored.
    func seed(now: Int64) throws(EngineError) {
        let (deadlines, learned): ([(String, Int64)], [(String, Int64)]) = try engineStorage {
            try store.read { txn in
                var deadlines: [(String, Int64)] = []
                var learned: [(String, Int64)] = []
                try txn.forEach(in: backoffs) { origin, until in
                    if until > now { deadlines.append((origin, until)) }
                    return .continue
                }
                try txn.forEach(in: rates) { origin, rate in
                    learned.append((origin, rate))
                    return .continue
                }
                return (deadlines, learned)
            }
        }
        for (origin, until) in deadlines {
            governors.seedBackoff(origin: origin, until: Date(timeIntervalSince1970: Double(until) / 1_000))
        }
        for (origin, rate) in learned where rate > 0 {
            governors.seedLearnedRate(origin: origin, rate: Double(rate) / 1_000)
        }
    }
}
