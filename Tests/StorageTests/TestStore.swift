import Foundation
@testable import Storage

/// A store in a fresh temporary directory, removed when the value is released.
final class TemporaryStore {
    let directory: String
    private(set) var store: Store?

    init(initialMapSize: Int = 1 << 26, maximumMapSize: Int = 1 << 34, name: String = #function) throws {
        directory = NSTemporaryDirectory() + "tributary-storage-\(UUID().uuidString)"
        store = try Store(configuration: StoreConfiguration(
            directory: directory,
            initialMapSize: initialMapSize,
            maximumMapSize: maximumMapSize
        ))
    }

    var opened: Store {
        get throws {
            if let store { return store }
            let reopened = try Store(configuration: StoreConfiguration(directory: directory))
            store = reopened
            return reopened
        }
    }

    /// Closes the environment (LMDB files stay) so the next access reopens it from disk.
    func close() {
        store = nil
    }

    deinit {
        store = nil
        try? FileManager.default.removeItem(atPath: directory)
    }
}
