import HTTPTypes
import WardenServing

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

extension HTTPFields {
    /// Names the version that answered (or refused), for the client.
    mutating func name(_ model: ServedModelIdentity) {
        self[.wardenModel] = model.name
        self[.wardenModelVersion] = model.version
        if let digest = model.digest { self[.wardenModelDigest] = digest.description }
    }
}
