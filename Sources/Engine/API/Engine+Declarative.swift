import Logging
import TributaryEvents

/// What applying `datastores.d` did, datastore by datastore.
public struct DeclarativeReport: Sendable, Equatable {
    public var created: [String] = []
    public var updated: [String] = []
    public var unchanged: [String] = []
    /// Declarations that were not applied, with the reason (path and line included).
    public var rejected: [String] = []

    public init() {}
}

extension Engine {
    /// Creates or updates the datastores declared outside the socket (the daemon reads them
    /// from `datastores.d`); a declaration equal to the stored configuration changes nothing.
    /// One that cannot be applied is reported with its origin and skipped; the others still apply.
    public func applyDeclarativeDatastores(_ configurations: [DatastoreConfiguration]) async -> DeclarativeReport {
        var report = DeclarativeReport()
        for configuration in configurations {
            do throws(EngineError) {
                if let existing = try? snapshot(name: configuration.name) {
                    if existing.record.configuration == configuration {
                        report.unchanged.append(configuration.name)
                    } else {
                        _ = try update(name: configuration.name, configuration: configuration, secret: nil)
                        report.updated.append(configuration.name)
                    }
                } else {
                    _ = try create(configuration, secret: nil)
                    report.created.append(configuration.name)
                }
            } catch {
                let message = "\(configuration.origin): \(error)"
                report.rejected.append(message)
                parts.logger.error("datastore file rejected: \(message)", metadata: [
                    "message_id": "\(TributaryEvent.datastoreFileRejected.messageID)",
                ])
            }
        }
        return report
    }
}
