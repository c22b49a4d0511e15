/// Opens the store a reference points at.
public enum StoreOpener {
    /// `credentialsFile`: a Docker-style config.json with the registry's credentials, if any.
    public static func store(for reference: ArtifactReference, credentialsFile: String? = nil) throws(RegistryError) -> any ArtifactStore {
        switch reference.location {
        case let .layout(path):
            return LayoutStore(root: path)
        case let .registry(host, repository):
            let credentials = try credentialsFile.flatMap { path throws(RegistryError) in
                try RegistryCredentials.load(fromFile: path, host: host)
            }
            return DistributionStore(host: host, repository: repository, credentials: credentials)
        }
    }
}
