/// Opens the store a reference points at.
public enum StoreOpener {
    public static func store(for reference: ArtifactReference) throws(RegistryError) -> any ArtifactStore {
        switch reference.location {
        case let .layout(path):
            return LayoutStore(root: path)
        case .registry:
            throw RegistryError.transport("registry references are not supported by this build; use an oci: layout")
        }
    }
}
