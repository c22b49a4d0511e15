import HummingbirdCore
import Logging
import NIOCore
import Synchronization
import WardenServing

/// The serving listener accepts a new connection only while admission has room for its
/// request. Under closed-loop overload (clients that ignore Retry-After and reconnect at once),
/// refusing costs the core an accept, a TLS handshake, a request head and part of a body per
/// refusal, taken from the admitted requests; a connection left in the kernel's backlog costs
/// nothing until there is room. Connections already open are served (or refused) as before.
///
/// Hummingbird asks `isAcceptingNewConnections()` before each accept and asks again only when
/// a connection closes; while closed, the gate asks the listener to read again every
/// `recheckInterval`, so it reopens as soon as admission frees up even when nothing closes.
struct AcceptGate: AvailableConnectionsDelegate {
    /// The serving listener's state: its bound channel, the requests and connections counted
    /// against admission's room, and the last accept.
    final class Listener: Sendable {
        private let state = Mutex<(channel: (any Channel)?, recheckScheduled: Bool)>((nil, false))
        let admission: Admission
        /// Connections accepted whose first request head has not come in yet, and requests
        /// whose head came in and whose response has not ended: each holds or will ask for a
        /// place in admission.
        private let arriving = Atomic<Int>(0)
        private let inFlight = Atomic<Int>(0)
        private let lastAccepted = Mutex<ContinuousClock.Instant?>(nil)

        init(admission: Admission) { self.admission = admission }

        var hasRoom: Bool { arriving.load(ordering: .relaxed) + inFlight.load(ordering: .relaxed) < admission.capacity }

        /// Whether to accept a connection now: while admission has room, or once per `trickle`.
        func admits(trickle: Duration) -> Bool {
            let now = ContinuousClock.now
            let room = hasRoom
            return lastAccepted.withLock { last in
                guard room || last.map({ now - $0 >= trickle }) ?? true else { return false }
                last = now
                return true
            }
        }

        /// A connection was accepted (ConnectionHygieneHandler, as it is added).
        func connectionStarted() { arriving.add(1, ordering: .relaxed) }

        /// Its first request head came in, or it closed without one.
        func connectionArrived() { arriving.subtract(1, ordering: .relaxed) }

        /// A request head came in.
        func requestStarted() { inFlight.add(1, ordering: .relaxed) }

        /// Its response ended, or its connection closed first.
        func requestsEnded(_ count: Int) { inFlight.subtract(count, ordering: .relaxed) }

        /// The listening channel, from Hummingbird's onServerRunning.
        func bound(_ channel: any Channel) { state.withLock { $0.channel = channel } }

        func scheduleRecheck(in interval: TimeAmount) {
            let channel: (any Channel)? = state.withLock { state in
                guard !state.recheckScheduled, let channel = state.channel else { return nil }
                state.recheckScheduled = true
                return channel
            }
            guard let channel else { return }
            channel.eventLoop.scheduleTask(in: interval) { [self] in
                state.withLock { $0.recheckScheduled = false }
                // Through the pipeline: Hummingbird's handler asks the gate again.
                channel.read()
            }
        }
    }

    static let recheckInterval = TimeAmount.milliseconds(2)
    /// The serving listener's listen backlog (Hummingbird's default is 256).
    static let backlog = 64
    /// How long an accepted connection counts as arriving without sending a request head (a
    /// TLS handshake and a head take milliseconds).
    static let arrivalGrace = TimeAmount.milliseconds(200)
    /// While full, one connection is still accepted this often, so a new client (an operator's
    /// kill switch, a scrape) is answered, if only with a 503, rather than locked out for as
    /// long as keep-alive clients keep admission full.
    static let trickleInterval = Duration.milliseconds(50)

    private var maximum: MaximumAvailableConnections
    let listener: Listener

    /// `maximumConnections` is the file-descriptor backstop (the registry enforces the limit).
    init(listener: Listener, maximumConnections: Int, logger: Logger) {
        self.listener = listener
        maximum = MaximumAvailableConnections(maximumConnections, logger: logger)
    }

    mutating func connectionOpened() { maximum.connectionOpened() }

    mutating func connectionClosed() { maximum.connectionClosed() }

    func isAcceptingNewConnections() -> Bool {
        guard maximum.isAcceptingNewConnections() else { return false }
        guard listener.admits(trickle: Self.trickleInterval) else {
            listener.scheduleRecheck(in: Self.recheckInterval)
            return false
        }
        return true
    }
}
