/// Computes the resources of a model the way model_signing serializes it, so they can be
/// compared with a signed manifest (verification) or written into one (signing).
public enum ModelHasher {
    public static func resources(
        of model: ModelFiles, method: SignedModelManifest.Method
    ) throws(TrustFailure) -> [SignedModelManifest.Resource] {
        var names: [String] = []
        var jobs: [FileHasher.Job] = []
        for file in model.files {
            switch method {
            case .files:
                names.append(file.name)
                jobs.append(FileHasher.Job(path: file.path))
            case let .shards(size):
                // model_signing gives an empty file no shard at all; matching it keeps signatures
                // interchangeable (an empty file cannot carry weights).
                var start: Int64 = 0
                while start < file.size {
                    let end = min(start + size, file.size)
                    names.append("\(file.name):\(start):\(end)")
                    jobs.append(FileHasher.Job(path: file.path, range: start..<end))
                    start = end
                }
            }
        }
        let digests = try FileHasher.digests(of: jobs)
        return zip(names, digests).map { SignedModelManifest.Resource(name: $0, digest: $1) }.sorted { $0.name < $1.name }
    }

    /// Compares what is on disk with what was signed; the first difference, in name order, is the
    /// failure, naming the file and both digests.
    public static func check(
        _ actual: [SignedModelManifest.Resource], against signed: [SignedModelManifest.Resource]
    ) throws(TrustFailure) {
        let signedByName = Dictionary(signed.map { ($0.name, $0.digest) }, uniquingKeysWith: { first, _ in first })
        let actualByName = Dictionary(actual.map { ($0.name, $0.digest) }, uniquingKeysWith: { first, _ in first })
        guard signedByName.count == signed.count else {
            throw TrustFailure(.malformedStatement, "the signed manifest names a resource twice")
        }
        for resource in signed where actualByName[resource.name] == nil {
            throw TrustFailure(.missingFile, "\(resource.name) is signed but missing")
        }
        for resource in actual {
            guard let expected = signedByName[resource.name] else {
                throw TrustFailure(.unexpectedFile, "\(resource.name) is present but not covered by the signature")
            }
            guard expected == resource.digest else {
                throw TrustFailure(.digestMismatch, "\(resource.name): signed \(expected), found \(resource.digest)")
            }
        }
    }
}
