import Foundation
import Synchronization

/// Hands out one ``RateGovernor`` per site origin, so every caller of a site shares its pace.
public final class RateGovernorRegistry: Sendable {
    private let governors = Mutex<[String: RateGovernor]>([:])
    /// Back-off deadlines restored from storage for sites whose governor is not made yet.
    private let seeds = Mutex<[String: Date]>([:])
    /// Server rates learnt by an earlier run, for sites whose governor is not made yet.
    private let rateSeeds = Mutex<[String: Double]>([:])
    private let makeConfiguration: @Sendable (ConfluenceSite) -> RateGovernor.Configuration
    private let clock: any RateClock

    /// - Parameters:
    ///   - clock: the time source of every governor made here.
    ///   - configuration: the tuning for a site seen for the first time.
    public init(clock: any RateClock = ContinuousRateClock(),
                configuration: @escaping @Sendable (ConfluenceSite) -> RateGovernor.Configuration = { _ in .init() }) {
        self.clock = clock
        makeConfiguration = configuration
    }

    /// The governor for `site`, created on first use (optionally with a persisted back-off).
    public func governor(for site: ConfluenceSite, backoffUntil: Date? = nil) -> RateGovernor {
        governors.withLock { governors in
            if let existing = governors[site.origin] { return existing }
            let seeded = seeds.withLock { $0.removeValue(forKey: site.origin) }
            let deadline = [backoffUntil, seeded].compactMap { $0 }.max()
            let rate = rateSeeds.withLock { $0.removeValue(forKey: site.origin) }
            let governor = RateGovernor(configuration: makeConfiguration(site), backoffUntil: deadline, learnedRate: rate, clock: clock)
            governors[site.origin] = governor
            return governor
        }
    }

    /// Remembers a persisted back-off deadline for a site (by origin): the site's governor starts
    /// throttled until then, so a restarted daemon does not hammer a site that asked it to wait.
    public func seedBackoff(origin: String, until: Date) {
        let existing = governors.withLock { $0[origin] }
        if let existing {
            Task { await existing.seedBackoff(until: until) }
        } else {
            seeds.withLock { $0[origin] = max($0[origin] ?? until, until) }
        }
    }

    /// Remembers the rate a site's server was seen to allow (by origin), so a restarted daemon
    /// paces at it from the first request instead of learning it again.
    public func seedLearnedRate(origin: String, rate: Double) {
        guard rate > 0, rate.isFinite else { return }
        let existing = governors.withLock { $0[origin] }
        if let existing {
            Task { await existing.seedLearnedRate(rate) }
        } else {
            rateSeeds.withLock { $0[origin] = rate }
        }
    }

    /// Every governor made so far, by site origin.
    public func all() -> [(origin: String, governor: RateGovernor)] {
        governors.withLock { $0.map { ($0.key, $0.value) } }
    }
}
