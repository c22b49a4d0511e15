/// Who hears what the pipeline measures (the metrics, in the server).
package protocol PipelineObserver: Sendable {
    /// The engine's run alone, without decoding, contract checks or encoding.
    func engineRan(model: String, version: String, duration: Duration)
    /// A request ended 504 (its deadline passed), by route.
    func timedOut(route: String)
    /// A client over its quota was refused.
    func throttled()
}
