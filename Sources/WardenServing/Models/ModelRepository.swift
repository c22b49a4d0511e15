/// Whether the process is Ready when every model can serve, or when any can
/// (`readiness:` in warden.yaml; by default `all` for one model, `any` for several).
public enum Readiness: String, Sendable {
    case all, any
}

/// The models a server serves, by name and version. Built at startup, immutable after.
public struct ModelRepository: Sendable {
    public let models: [ServedModel]

    public init(models: [ServedModel]) throws {
        var seen = Set<String>()
        for model in models {
            guard seen.insert("\(model.name)/\(model.version)").inserted else {
                throw ModelLoadFailure("model '\(model.name)' version '\(model.version)' is configured twice")
            }
        }
        self.models = models
    }

    /// The named version, or without a version the highest one that can serve (numerically when
    /// versions are numbers): a revoked version hands unversioned traffic to the next.
    public func model(_ name: String, version: String? = nil) -> ServedModel? {
        let candidates = models.filter { $0.name == name }
        if let version { return candidates.first { $0.version == version } }
        let serving = candidates.filter(\.isReady)
        return (serving.isEmpty ? candidates : serving).max { Self.versionOrder($0.version, $1.version) }
    }

    public func versions(of name: String) -> [String] {
        models.filter { $0.name == name }.map(\.version).sorted(by: Self.versionOrder)
    }

    /// The named model, or a 404 that names only what the server has (the requested names are
    /// client text).
    package func servedModel(_ name: String, version: String?) throws(ServingFailure) -> ServedModel {
        guard let model = model(name, version: version) else {
            throw ServingFailure.notFound(missingModelMessage(name: name, version: version))
        }
        return model
    }

    private func missingModelMessage(name: String, version: String?) -> String {
        let known = Set(models.map(\.name)).sorted()
        if version != nil, known.contains(name) {
            return "model '\(name)' has no such version (versions: \(versions(of: name).joined(separator: ", ")))"
        }
        return "no model of that name is served (models: \(known.joined(separator: ", ")))"
    }

    /// Every version has warmed up, and every model still has a version that serves: a
    /// withdrawn (revoked) version does not hold readiness back while another one answers.
    public var isReady: Bool { isReady(.all) }

    /// `all`: as above. `any`: some model has a version that serves, so one revoked or broken
    /// model among several does not take the healthy ones out of the load balancer with it.
    public func isReady(_ readiness: Readiness) -> Bool {
        guard !models.isEmpty else { return false }
        let servable = Set(models.map(\.name)).filter { name in models.contains { $0.name == name && $0.isReady } }
        switch readiness {
        case .all: return models.allSatisfy(\.hasWarmedUp) && servable.count == Set(models.map(\.name)).count
        case .any: return !servable.isEmpty
        }
    }

    /// One line per version that cannot answer, with why: for the readiness body.
    package var unavailableVersions: [String] {
        models.compactMap { model in model.unavailableReason.map { "model \(model.name) version \(model.version) is unavailable: \($0)" } }
    }

    package static func versionOrder(_ a: String, _ b: String) -> Bool {
        if let x = Int(a), let y = Int(b) { return x < y }
        return a < b
    }
}
