/// Why a served version can or cannot answer, in the order the checks win: a revocation is for
/// good; a missing revocation list, a kill switch and a failed warm-up can each pass.
public enum ModelAvailability: String, Sendable, CaseIterable {
    /// Warmed up, not withdrawn, not switched off.
    case ready
    /// Still warming up.
    case loading
    /// Its digest is on the signed revocation list.
    case revoked
    /// No current revocation list proves it unrevoked (fail closed until one does).
    case unproven
    /// The request policy switches it off for every client (`version_blocked` without a client).
    case killed
    /// Warm-up failed: the engine or the contract refused the samples.
    case failed

    /// Triton's state word for the repository index and model metadata.
    package var tritonState: String { self == .ready ? "READY" : "UNAVAILABLE" }
}
