import Foundation
import Storage

/// A store in a fresh temporary directory (or under `parent`), removed afterwards.
final class TemporaryEngineStore {
    let directory: String
    let store: Store

    init(mapSize: Int = 1 << 24, maximumMapSize: Int? = nil, parent: String = NSTemporaryDirectory()) throws {
        directory = (parent as NSString).appendingPathComponent("tributary-engine-\(UUID().uuidString)")
        store = try Store(configuration: StoreConfiguration(directory: directory, initialMapSize: mapSize,
                                                            maximumMapSize: maximumMapSize ?? 1 << 40))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
