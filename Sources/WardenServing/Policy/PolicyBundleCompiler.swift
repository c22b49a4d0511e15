import WardenPolicy
import WardenTrust

/// Turns a verified bundle's files into a policy ready to install: modules compiled in the
/// bundle's Rego version, data documents mounted at their folders, and everything inside the
/// roots the manifest claims (as OPA checks a bundle's roots), so a bundle meant for
/// `serving/request` cannot also define `serving/startup`.
package enum PolicyBundleCompiler {
    package static func compile(
        _ files: [PolicyBundleFile], manifest: PolicyBundleManifest, provenance: PolicyProvenance?
    ) throws -> RequestPolicy.Loaded {
        let bundle = try PolicyFiles.bundle(files: files.map { (path: $0.path, bytes: $0.bytes) })
        guard !bundle.modules.isEmpty else { throw PolicyFileError("the bundle holds no .rego module") }
        let policy = try Policy(modules: bundle.modules, syntax: manifest.regoVersion == 0 ? .v0 : .v1)
        let roots = manifest.roots.map { $0.split(separator: "/").map(String.init) }
        if !roots.isEmpty {
            for path in policy.rulePaths where !roots.contains(where: { path.starts(with: $0) }) {
                throw PolicyFileError(
                    "rule data.\(path.joined(separator: ".")) is outside the bundle's roots (\(manifest.roots.joined(separator: ", ")))")
            }
            try checkData(bundle.data, at: [], roots: roots, named: manifest.roots)
        }
        return RequestPolicy.Loaded(policy: policy, data: bundle.data, provenance: provenance)
    }

    /// Every data document sits under a root: a path above a root may only lead to one.
    private static func checkData(_ value: Value, at path: [String], roots: [[String]], named: [String]) throws {
        if roots.contains(where: { path.starts(with: $0) }) { return }
        guard case let .object(members) = value, roots.contains(where: { $0.starts(with: path) }) else {
            throw PolicyFileError("data.\(path.joined(separator: ".")) is outside the bundle's roots (\(named.joined(separator: ", ")))")
        }
        for (key, child) in members {
            guard case let .string(name) = key else { continue }
            try checkData(child, at: path + [name], roots: roots, named: named)
        }
    }
}
