import WardenRegistry

/// libFuzzer entry point: manifests and indexes come from registries (and layout folders)
/// anyone may push to. Parsing must end in a value or an error; a parsed manifest's layer
/// checks (sizes summed with overflow checks, file names) must do the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOCIManifest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let manifest = try? ImageManifest(bytes: bytes) {
        _ = try? ModelArtifactPuller.checkLayers(manifest, limits: ModelArtifactPuller.Limits())
    }
    _ = try? ImageIndex(bytes: bytes)
    return 0
}
