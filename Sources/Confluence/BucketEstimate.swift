/// What a ``RateGovernor`` knows about the server's token bucket, learnt from the
/// `X-RateLimit-Limit` / `-Remaining` headers and from 429s.
///
/// Confluence Cloud says how big the bucket is and how many tokens are left, but not how fast
/// it refills. So the estimate keeps every refill rate still consistent with what the server
/// said: log-spaced rate ranges (cells 3 % wide), each with the range of levels the bucket can
/// be at. `Remaining: r` after a request means the bucket held at least r+1 and less than r+2
/// tokens before the request took one; a 429 means it held less than one. A cell that
/// contradicts a response is dropped. A request may go when every cell left (at or above
/// ``floor``) agrees a token is there, so the pace never outruns the slowest rate the server
/// may have, and that slowest rate rises as soon as the bucket is seen refilling faster.
/// Data Center announces its rate (`X-RateLimit-FillRate` per `-Interval-Seconds`): then one
/// exact cell is kept.
///
/// Times are seconds on the governor's clock. The server takes its token somewhere between
/// sending and receiving, so every observation carries a spread and the level ranges widen
/// by it.
struct BucketEstimate: Sendable {
    /// A range of refill rates (tokens per second) and the bucket's level range under it.
    struct Cell: Sendable, Equatable {
        var slowest: Double
        var fastest: Double
        var low: Double
        var high: Double
    }

    /// What one response said about the bucket.
    enum Event: Sendable, Equatable {
        /// The request was served and took a token; `remaining` is the header, if sent.
        case took(remaining: Int?)
        /// HTTP 429: the bucket had no whole token.
        case refused
        /// A failure that may or may not have taken a token.
        case unknown
    }

    static let cellRatio = 1.03
    static let slowestRate = 0.01
    static let fastestRate = 5_000.0
    /// Slack for rounding in the server's arithmetic.
    private static let tolerance = 1e-6

    /// `X-RateLimit-Limit`: the most tokens the bucket holds.
    private(set) var capacity = Double.infinity
    private(set) var cells: [Cell] = []
    /// The slowest rate assumed until a response disproves it (halved each time one does).
    private(set) var floor: Double
    /// The rate the server announced (Data Center), if any.
    private(set) var announcedRate: Double?
    /// When the last observed request reached the server, give or take `stampSpread`.
    private var stamp = 0.0
    private var stampSpread = 0.0

    init(floor: Double) {
        self.floor = max(Self.slowestRate, floor)
    }

    /// True once a response carried rate-limit headers.
    var isActive: Bool { !cells.isEmpty }

    /// The slowest refill rate still possible (and not below the assumed floor, so a rate
    /// saved and seeded again does not drift down by a cell's width each restart).
    var learnedRate: Double? {
        if let announcedRate { return announcedRate }
        return activeCells.map { max($0.slowest, floor) }.min()
    }

    /// Raises the assumed floor (a rate learnt in an earlier run).
    mutating func assume(atLeast rate: Double) {
        guard rate > floor else { return }
        floor = min(rate, Self.fastestRate)
        demoteFloorIfDisproved()
    }

    /// Learns from one response. `limit` is `X-RateLimit-Limit`, `announced` the Data Center
    /// rate; the request reached the server within `spread` of `time`. Requests in flight at
    /// the same time may have reached the server in another order than their answers came:
    /// `unanswered` are still out (their tokens may be gone already), `answeredMeanwhile` were
    /// answered while this one was out (their tokens may have gone only after this one's).
    mutating func observe(_ event: Event, limit: Int?, announced: Double?, at time: Double, spread: Double,
                          unanswered: Int = 0, answeredMeanwhile: Int = 0) {
        if let limit, limit > 0 { capacity = Double(limit) }
        if case .took(let remaining?) = event, capacity < .infinity { capacity = max(capacity, Double(remaining + 1)) }
        if let announced, announced > 0, announced != announcedRate {
            announcedRate = announced
            cells = [Cell(slowest: announced, fastest: announced, low: 0, high: capacity)]
        }
        if cells.isEmpty {
            cells = Self.grid(capacity: capacity)
            stamp = time
            stampSpread = spread
        }
        advance(to: time, spread: spread)
        let slack = (below: Double(max(0, answeredMeanwhile)), above: Double(max(0, unanswered)))
        let survivors = cells.compactMap { Self.apply(event, to: $0, capacity: capacity, slack: slack) }
        if survivors.isEmpty {
            // Nothing fits (another client shares the bucket, or the limit changed): start over
            // from what this response says, assuming the rate known so far until disproved.
            if let known = learnedRate { floor = max(floor, known) }
            let fresh = announcedRate.map { [Cell(slowest: $0, fastest: $0, low: 0, high: capacity)] } ?? Self.grid(capacity: capacity)
            cells = fresh.map { Self.reset($0, after: event, capacity: capacity) }
        } else {
            cells = survivors
        }
        demoteFloorIfDisproved()
    }

    /// The earliest time a request may go with `inFlight` requests sent but not yet answered,
    /// or nil when the bucket cannot hold that many (wait for an answer first).
    func readyTime(inFlight: Int) -> Double? {
        let needed = 1 + Double(inFlight)
        var ready = -Double.infinity
        for cell in activeCells where cell.low + Self.tolerance < needed {
            if needed > capacity + Self.tolerance { return nil }
            ready = max(ready, stamp + stampSpread + (needed - cell.low) / cell.slowest)
        }
        return ready
    }

    // MARK: Private

    private var activeCells: [Cell] {
        cells.filter { $0.fastest > floor || announcedRate != nil }
    }

    private mutating func demoteFloorIfDisproved() {
        guard announcedRate == nil, !cells.isEmpty else { return }
        let fastest = cells.map(\.fastest).max() ?? 0
        while floor > Self.slowestRate, fastest <= floor { floor /= 2 }
    }

    private mutating func advance(to time: Double, spread: Double) {
        let spreads = spread + stampSpread
        let shortest = max(0, time - stamp - spreads)
        let longest = max(0, time - stamp + spreads)
        for index in cells.indices {
            cells[index].low = min(capacity, cells[index].low + cells[index].slowest * shortest)
            cells[index].high = min(capacity, cells[index].high + cells[index].fastest * longest)
        }
        // Never move back: an answer overtaken by a later one must not re-count the refill.
        if time >= stamp {
            stamp = time
            stampSpread = spread
        }
    }

    /// The cell after `event`, or nil when the event contradicts it.
    /// The model counts takes in the order answers came; the server's order may differ by the
    /// requests in flight together, so a level the model holds is the server's give or take those.
    private static func apply(_ event: Event, to cell: Cell, capacity: Double, slack: (below: Double, above: Double)) -> Cell? {
        var cell = cell
        switch event {
        case .took(let remaining?):
            let before = (low: Double(remaining + 1) - slack.below, high: min(Double(remaining + 2) + slack.above, capacity + slack.above))
            let low = max(cell.low, before.low)
            let high = min(cell.high, before.high)
            guard low <= high + tolerance else { return nil }
            cell.low = low - 1
            cell.high = max(low, high) - 1
        case .took(nil):
            cell.low = max(cell.low, 1) - 1
            cell.high = max(cell.high, 1) - 1
        case .refused:
            // Less than one whole token: a level of exactly 1 is disproved too.
            guard cell.low < 1 + slack.above - tolerance else { return nil }
            cell.high = min(cell.high, 1 + slack.above)
        case .unknown:
            cell.low = max(0, cell.low - 1)
        }
        return cell
    }

    private static func reset(_ cell: Cell, after event: Event, capacity: Double) -> Cell {
        var cell = cell
        switch event {
        case .took(let remaining?):
            cell.low = Double(remaining)
            cell.high = min(Double(remaining + 1), capacity)
        case .took(nil), .refused, .unknown:
            cell.low = 0
            cell.high = event == .refused ? 1 : capacity
        }
        return cell
    }

    private static func grid(capacity: Double) -> [Cell] {
        var cells: [Cell] = []
        var rate = slowestRate
        while rate < fastestRate {
            let next = rate * cellRatio
            cells.append(Cell(slowest: rate, fastest: next, low: 0, high: capacity))
            rate = next
        }
        return cells
    }
}
