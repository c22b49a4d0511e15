extension Duration {
    /// The duration in seconds, as the moving averages, token buckets and Retry-After use it.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
