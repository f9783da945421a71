import Foundation
import Synchronization

/// Hands out one ``RateGovernor`` per site origin, so every caller of a site shares its pace.
public final class RateGovernorRegistry: Sendable {
    private let governors = Mutex<[String: RateGovernor]>([:])
    private let makeConfiguration: @Sendable (ConfluenceSite) -> RateGovernor.Configuration

    /// - Parameter configuration: the tuning for a site seen for the first time.
    public init(configuration: @escaping @Sendable (ConfluenceSite) -> RateGovernor.Configuration = { _ in .init() }) {
        makeConfiguration = configuration
    }

    /// The governor for `site`, created on first use (optionally with a persisted back-off).
    public func governor(for site: ConfluenceSite, backoffUntil: Date? = nil) -> RateGovernor {
        governors.withLock { governors in
            if let existing = governors[site.origin] { return existing }
            let governor = RateGovernor(configuration: makeConfiguration(site), backoffUntil: backoffUntil)
            governors[site.origin] = governor
            return governor
        }
    }
}
