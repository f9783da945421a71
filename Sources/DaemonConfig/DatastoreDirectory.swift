import Engine
import Foundation

/// `datastores.d`: the datastores declared as files, and the files that could not be read.
/// The engine reconciles the configurations (``Engine/applyDeclarativeDatastores(_:)``); the
/// daemon reports the rejected files.
public struct DatastoreDirectory: Sendable, Equatable {
    /// The readable `*.conf` files, by file name.
    public var configurations: [DatastoreConfiguration] = []
    /// The broken files, each with its path and line.
    public var rejected: [ConfigError] = []

    public init(configurations: [DatastoreConfiguration] = [], rejected: [ConfigError] = []) {
        self.configurations = configurations
        self.rejected = rejected
    }

    /// Reads every `*.conf` in `directory`. A broken file is rejected and the others still
    /// read; a missing directory declares nothing.
    public static func read(_ directory: String) -> DatastoreDirectory {
        var result = DatastoreDirectory()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return result }
        for file in names.filter({ $0.hasSuffix(".conf") }).sorted() {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                result.configurations.append(try DatastoreConfiguration.load(path: path))
            } catch {
                result.rejected.append(error)
            }
        }
        return result
    }
}
