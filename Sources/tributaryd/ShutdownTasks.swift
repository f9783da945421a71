/// Runs `body` to its end even when the calling task is cancelled: a stop that cleans up (gives
/// leases back, removes a socket file) must not be cut short by the cancellation that asked for it.
func runToCompletion(_ body: @escaping @Sendable () async -> Void) async {
    await Task { await body() }.value
}
