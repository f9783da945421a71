/// An HTTP/1.1 and HTTP/2 client on libcurl's multi interface.
///
/// Create one per process (or use ``shared``): it owns one multi handle, whose connection cache
/// gives keep-alive and HTTP/2 multiplexing across all requests, and one thread that drives it.
/// Proxy environment variables (`https_proxy`, `no_proxy`, …) and the system CA bundle apply
/// as libcurl's defaults. Creating the first client ignores `SIGPIPE` process-wide.
public final class HTTPClient: Sendable {
    /// Process-wide pool limits and identity.
    public struct Configuration: Sendable {
        public var maxConnectionsPerHost: Int
        public var maxTotalConnections: Int
        /// Streams per HTTP/2 connection.
        public var maxConcurrentStreams: Int
        public var userAgent: String
        /// A CA bundle to use instead of the system one.
        public var caBundlePath: String?
        /// Connections older than this are not reused (load balancers drop idle ones).
        public var maxConnectionAge: Duration?

        public init(
            maxConnectionsPerHost: Int = 8,
            maxTotalConnections: Int = 32,
            maxConcurrentStreams: Int = 100,
            userAgent: String = "tributary/0.1 (+https://github.com/tributary)",
            caBundlePath: String? = nil,
            maxConnectionAge: Duration? = .seconds(300)
        ) {
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxTotalConnections = maxTotalConnections
            self.maxConcurrentStreams = maxConcurrentStreams
            self.userAgent = userAgent
            self.caBundlePath = caBundlePath
            self.maxConnectionAge = maxConnectionAge
        }
    }

    /// The process-wide client with default configuration.
    public static let shared = HTTPClient()

    public let configuration: Configuration
    let driver: MultiDriver

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        driver = MultiDriver(configuration: configuration)
    }

    deinit {
        driver.stop()
    }

    /// Performs `request`. Any HTTP status is a response; only transport failures throw.
    /// Cancelling the calling task aborts the transfer and throws ``HTTPError/Kind/cancelled``.
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        if Task.isCancelled { throw HTTPError(.cancelled, url: request.url) }
        let transfer = try Transfer.make(request, configuration: configuration)
        let driver = self.driver
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Transfer.Completion) in
                transfer.continuation = continuation
                if !driver.submit(transfer) {
                    transfer.continuation = nil
                    continuation.resume(returning: .failure(HTTPError(.cancelled, url: transfer.url)))
                }
            }
        } onCancel: {
            driver.cancel(transfer)
        }
        return try result.get()
    }
}
