import Synchronization

/// Metric handles made once per label combination: asking the registry builds the metric's
/// name, its label pairs and the label strings, then looks them up under the registry's lock,
/// on every request. Label values come from closed sets (route templates, served models and
/// versions, catalogue codes), so the cache is as bounded as the series themselves.
final class MetricHandleCache<Key: Hashable & Sendable, Handles: Sendable>: Sendable {
    private let handles = Mutex<[Key: Handles]>([:])
    private let make: @Sendable (Key) -> Handles

    init(make: @escaping @Sendable (Key) -> Handles) { self.make = make }

    func callAsFunction(_ key: Key) -> Handles {
        if let found = handles.withLock({ $0[key] }) { return found }
        let made = make(key)  // the registry hands out the same metric for the same labels
        handles.withLock { $0[key] = made }
        return made
    }
}
