import Foundation
import Logging
import TributaryEvents

/// What applying `datastores.d` did, file by file.
public struct DeclarativeReport: Sendable, Equatable {
    public var created: [String] = []
    public var updated: [String] = []
    public var unchanged: [String] = []
    /// Files that were not applied, with the reason (path and line included).
    public var rejected: [String] = []

    public init() {}
}

extension Engine {
    /// Reads every `*.conf` in `directory` and creates or updates the datastores they define.
    /// A broken file is reported (path and line) and skipped; the others still apply. A missing
    /// directory defines nothing.
    public func applyDeclarativeDatastores(directory: String) async -> DeclarativeReport {
        var report = DeclarativeReport()
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".conf") }.sorted()
        } catch {
            return report
        }
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                let configuration = try DatastoreConfiguration.load(path: path)
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
            } catch let error as ConfigError {
                reject(error.description, into: &report)
            } catch {
                reject("\(path): \(error)", into: &report)
            }
        }
        return report
    }

    private func reject(_ message: String, into report: inout DeclarativeReport) {
        report.rejected.append(message)
        core.logger.error("datastore file rejected: \(message)", metadata: [
            "message_id": "\(TributaryEvent.datastoreFileRejected.messageID)",
        ])
    }
}
