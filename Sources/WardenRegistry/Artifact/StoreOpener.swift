/// Opens the store a reference points at.
public enum StoreOpener {
    /// `credentialsFile`: a Docker-style config.json with the registry's credentials, if any.
    /// `tls`: the outbound TLS configuration (roots, client certificate), if any.
    public static func store(
        for reference: ArtifactReference, credentialsFile: String? = nil, tls: OutboundTLSSettings? = nil
    ) throws(RegistryError) -> any ArtifactStore {
        switch reference.location {
        case let .layout(path):
            return LayoutStore(root: path)
        case let .registry(host, repository):
            let credentials = try credentialsFile.flatMap { path throws(RegistryError) in
                try RegistryCredentials.load(fromFile: path, host: host)
            }
            return try DistributionStore(host: host, repository: repository, credentials: credentials, tls: tls)
        }
    }
}
