import Synchronization

/// A value behind a lock, held by reference: for state a value type (the server builder) fills
/// from a non-mutating method.
package final class LockedBox<Value: Sendable>: Sendable {
    private let stored: Mutex<Value>

    package init(_ value: Value) { stored = Mutex(value) }

    package var value: Value {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
