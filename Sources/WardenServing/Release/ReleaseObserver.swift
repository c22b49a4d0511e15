/// Who hears release decisions and the analysis' verdicts (the metrics, in the server).
package protocol ReleaseObserver: Sendable {
    func decided(model: String, decision: ReleaseDecision, weight: Double, phase: String)
    func verdict(model: String, verdict: ReleaseManager.Verdict)
}
