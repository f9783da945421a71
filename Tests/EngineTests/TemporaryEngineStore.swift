import Foundation
import Storage

/// A store in a fresh temporary directory, removed afterwards.
final class TemporaryEngineStore {
    let directory = NSTemporaryDirectory() + "tributary-engine-\(UUID().uuidString)"
    let store: Store

    init(mapSize: Int = 1 << 24) throws {
        store = try Store(configuration: StoreConfiguration(directory: directory, initialMapSize: mapSize))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
