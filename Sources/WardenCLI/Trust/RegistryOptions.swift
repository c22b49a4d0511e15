import ArgumentParser
import WardenRegistry

/// How to reach a registry.
struct RegistryOptions: ParsableArguments {
    @Option(
        name: .customLong("registry-credentials"),
        help: "Docker-style config.json with the registry's credentials (mounted secret; never an environment variable).")
    var credentials: String?

    func store(for reference: ArtifactReference) throws(RegistryError) -> any ArtifactStore {
        try StoreOpener.store(for: reference, credentialsFile: credentials)
    }
}
