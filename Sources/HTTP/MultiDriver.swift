import CCurl
import Foundation
import Synchronization

/// Owns the libcurl multi handle and the one thread that drives it.
///
/// libcurl handles must never be used from two threads at once, so every multi and easy call
/// after submission happens on the driver thread. Other threads only append to the inbox under
/// the lock and call `curl_multi_wakeup`, which is safe from any thread.
final class MultiDriver: @unchecked Sendable {
    private struct Inbox: Sendable {
        var added: [Transfer] = []
        var cancelled: [Transfer] = []
        var stopping = false
        /// Set by the driver thread just before it destroys the multi handle.
        var stopped = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    /// Transfers added to the multi handle, keyed by easy handle. Driver thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    init(configuration: HTTPClient.Configuration) {
        CurlGlobal.initialize()
        guard let multi = curl_multi_init() else { fatalError("libcurl could not create a multi handle") }
        self.multi = multi
        _ = tr_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        _ = tr_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maxTotalConnections)
        _ = tr_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maxTotalConnections)
        _ = tr_curl_multi_setopt_long(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, configuration.maxConcurrentStreams)
        _ = tr_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        let thread = Thread { [self] in run() }
        thread.name = "tributary-curl"
        thread.start()
    }

    /// Hands a transfer to the driver thread. Returns false (and keeps nothing) when the
    /// transfer was already cancelled or the driver has stopped.
    func submit(_ transfer: Transfer) -> Bool {
        inbox.withLock { inbox in
            guard !transfer.cancelRequested, !inbox.stopping, !inbox.stopped else { return false }
            inbox.added.append(transfer)
            curl_multi_wakeup(multi)
            return true
        }
    }

    /// Asks the driver thread to abort a transfer; harmless if it already finished.
    func cancel(_ transfer: Transfer) {
        inbox.withLock { inbox in
            transfer.cancelRequested = true
            guard !inbox.stopped else { return }
            inbox.cancelled.append(transfer)
            curl_multi_wakeup(multi)
        }
    }

    /// Stops the thread; transfers still running complete as cancelled.
    func stop() {
        inbox.withLock { inbox in
            inbox.stopping = true
            if !inbox.stopped { curl_multi_wakeup(multi) }
        }
    }

    // MARK: Driver thread

    private func run() {
        while true {
            let (added, cancelled, stopping) = inbox.withLock { inbox in
                defer { inbox.added = []; inbox.cancelled = [] }
                return (inbox.added, inbox.cancelled, inbox.stopping)
            }
            for transfer in added {
                let code = curl_multi_add_handle(multi, transfer.easy)
                if code == CURLM_OK {
                    active[transfer.easy] = transfer
                } else {
                    let detail = String(cString: curl_multi_strerror(code))
                    complete(transfer, .failure(HTTPError(.other, url: transfer.url, detail: detail)))
                }
            }
            for transfer in cancelled {
                finish(transfer.easy, .failure(HTTPError(.cancelled, url: transfer.url)))
            }
            if stopping { break }

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            // Sleeps until socket activity, libcurl's next timeout, a wakeup, or one second.
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for easy in Array(active.keys) {
            finish(easy, .failure(HTTPError(.cancelled, url: active[easy]?.url ?? "", detail: "HTTP client shut down")))
        }
        inbox.withLock { $0.stopped = true }
        curl_multi_cleanup(multi)
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = active[easy] else { continue }
            finish(easy, transfer.result(for: tr_curl_msg_result(message)))
        }
    }

    /// Detaches an active easy handle and resumes its caller. No-op for unknown handles.
    private func finish(_ easy: UnsafeMutableRawPointer, _ result: Result<HTTPResponse, HTTPError>) {
        guard let transfer = active.removeValue(forKey: easy) else { return }
        _ = curl_multi_remove_handle(multi, easy)
        complete(transfer, result)
    }

    private func complete(_ transfer: Transfer, _ result: Result<HTTPResponse, HTTPError>) {
        // A streamed body's reader learns the end (or the failure) from its channel.
        transfer.channel?.finish(result)
        let continuation = transfer.continuation
        transfer.continuation = nil
        continuation?.resume(returning: result)
    }
}

/// `curl_global_init` exactly once per process, before any other libcurl call.
enum CurlGlobal {
    private static let once: Bool = {
        // With CURLOPT_NOSIGNAL libcurl no longer guards against SIGPIPE from broken connections.
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(tr_curl_global_default) == CURLE_OK
    }()

    static func initialize() {
        guard once else { fatalError("curl_global_init failed") }
    }
}
