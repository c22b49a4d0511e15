import NIOCore
import Synchronization
import WardenServing

/// The open connections of one listener, so that connections which have proven nothing yet
/// (no TLS handshake, no request head) cannot hold the slots: each source address may hold
/// only so many of them, and at the connection limit a newcomer evicts the oldest of them.
/// An authenticated connection is never evicted for a newcomer.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        let source: String
        var authenticated: Bool
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        /// Unauthenticated connections, oldest first (ids; stale ones are skipped).
        var pending: [ObjectIdentifier] = []
        var pendingPerSource: [String: Int] = [:]
    }

    let limits: ConnectionLimits
    private let state = Mutex(State())

    init(limits: ConnectionLimits) { self.limits = limits }

    enum Admission: Equatable {
        /// Admitted; `evicted` when an unproven connection was closed to make room.
        case admitted(evicted: Bool)
        case refused(ConnectionCloseReason)
    }

    /// Called as a connection starts. The connection evicted to make room, if any, is closed
    /// here; a refused one is for the caller to close.
    func admit(_ channel: any Channel) -> Admission {
        let id = ObjectIdentifier(channel)
        let source = Self.source(of: channel)
        let (admission, evicted) = state.withLock { state -> (Admission, (any Channel)?) in
            guard state.pendingPerSource[source, default: 0] < limits.maximumUnauthenticatedPerSource else {
                return (.refused(.sourceLimit), nil)
            }
            var evicted: (any Channel)?
            if state.entries.count >= limits.maximumConnections {
                guard let oldest = Self.removeOldestPending(&state) else { return (.refused(.connectionLimit), nil) }
                evicted = oldest
            }
            state.entries[id] = Entry(channel: channel, source: source, authenticated: false)
            state.pending.append(id)
            state.pendingPerSource[source, default: 0] += 1
            return (.admitted(evicted: evicted != nil), evicted)
        }
        evicted?.close(promise: nil)
        return admission
    }

    /// The connection proved itself (TLS handshake done, or a request head on plain HTTP).
    func authenticated(_ channel: any Channel) {
        state.withLock { state in
            let id = ObjectIdentifier(channel)
            guard var entry = state.entries[id], !entry.authenticated else { return }
            entry.authenticated = true
            state.entries[id] = entry
            Self.forgetPending(&state, id: id, source: entry.source)
        }
    }

    func closed(_ channel: any Channel) {
        state.withLock { state in
            let id = ObjectIdentifier(channel)
            guard let entry = state.entries.removeValue(forKey: id) else { return }
            if !entry.authenticated { Self.forgetPending(&state, id: id, source: entry.source) }
        }
    }

    var openConnections: Int { state.withLock { $0.entries.count } }

    private static func removeOldestPending(_ state: inout State) -> (any Channel)? {
        while !state.pending.isEmpty {
            let id = state.pending.removeFirst()
            guard let entry = state.entries[id], !entry.authenticated else { continue }
            state.entries[id] = nil
            state.pendingPerSource[entry.source, default: 1] -= 1
            if state.pendingPerSource[entry.source] == 0 { state.pendingPerSource[entry.source] = nil }
            return entry.channel
        }
        return nil
    }

    private static func forgetPending(_ state: inout State, id: ObjectIdentifier, source: String) {
        if let index = state.pending.firstIndex(of: id) { state.pending.remove(at: index) }
        state.pendingPerSource[source, default: 1] -= 1
        if state.pendingPerSource[source] == 0 { state.pendingPerSource[source] = nil }
    }

    /// The peer's IP address (no port): connections from one host count together.
    static func source(of channel: any Channel) -> String {
        channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
