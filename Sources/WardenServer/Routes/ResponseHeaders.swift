import HTTPTypes

/// Header names Warden reads and writes.
extension HTTPField.Name {
    static let inferenceHeaderContentLength = Self("Inference-Header-Content-Length")!
    static let requestID = Self("X-Request-Id")!
    /// The model, version and artifact digest that answered: set on every model response.
    static let wardenModel = Self("Warden-Model")!
    static let wardenModelVersion = Self("Warden-Model-Version")!
    static let wardenModelDigest = Self("Warden-Model-Digest")!
    /// The stable code of a refused request, the same as in the problem body.
    static let wardenErrorCode = Self("Warden-Error-Code")!
}
