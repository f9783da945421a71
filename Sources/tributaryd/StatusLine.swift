import Engine

/// The one-line summary systemd shows as the service's status.
enum StatusLine {
    /// "3 datastores: 2 ready, 1 processing 45%".
    static func describe(_ engine: Engine) async -> String {
        guard let snapshots = try? await engine.list() else { return "store unreadable" }
        if snapshots.isEmpty { return "no datastores yet; create one with tributaryctl create" }
        var parts: [String] = []
        let order = ["ready", "processing", "syncing_metadata", "paused", "failed"]
        let grouped = Dictionary(grouping: snapshots, by: { $0.record.state.name })
        for state in order {
            guard let group = grouped[state] else { continue }
            var part = "\(group.count) \(state)"
            if state == "processing" {
                let done = group.reduce(0) { $0 + $1.record.phaseDone }
                let total = group.reduce(0) { $0 + max($1.record.phaseTotal, $1.record.phaseDone + $1.pending) }
                if total > 0 { part += " \(done * 100 / total)%" }
            }
            parts.append(part)
        }
        return "\(snapshots.count) datastore\(snapshots.count == 1 ? "" : "s"): " + parts.joined(separator: ", ")
    }
}
