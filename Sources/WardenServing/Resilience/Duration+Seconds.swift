extension Duration {
    /// The duration in seconds, as the moving averages, token buckets and Retry-After use it.
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
