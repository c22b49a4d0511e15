import Foundation
import WardenConfig
import Yams

extension TrustPolicy {
    /// Reads a trust policy file; key and certificate paths are relative to the file's folder.
    /// Keys named by `pkcs11:` or `awskms://` references are opened through `keys`.
    public init(contentsOfFile path: String, keys store: some KeyStore = FileKeyStore()) async throws(TrustFailure) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrustFailure(.unreadableFile, "cannot read trust policy \(path)")
        }
        do {
            try await self.init(
                yaml: String(decoding: data, as: UTF8.self), baseDirectory: (path as NSString).deletingLastPathComponent, keys: store)
        } catch let error as TrustFailure {
            throw error
        } catch {
            throw TrustFailure(.malformedKey, "trust policy \(path): \(error)")
        }
    }

    public init(yaml: String, baseDirectory: String, keys store: some KeyStore = FileKeyStore()) async throws {
        guard let root = try Yams.load(yaml: yaml) as? [String: Any] else { throw ConfigurationError("the trust policy must be a mapping") }
        var reader = StrictMapping(root, path: "")
        func resolve(_ file: String) -> String { file.hasPrefix("/") || baseDirectory.isEmpty ? file : baseDirectory + "/" + file }
        func read(_ file: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: resolve(file)) else {
                throw ConfigurationError("cannot read \(resolve(file))")
            }
            return String(decoding: data, as: UTF8.self)
        }
        // Keys are opened after the whole policy parses, so a typo is reported before any HSM
        // or KMS is asked for anything.
        var keyEntries: [KeyEntry] = []
        if var keyMap = try reader.mapping("keys") {
            for name in keyMap.keys {
                guard var entry = try keyMap.mapping(name) else { continue }
                guard let reference = try entry.string("public_key") else {
                    throw ConfigurationError("\(entry.path).public_key is required")
                }
                var pin: SHA256Digest?
                if let text = try entry.string("fingerprint") {
                    guard let digest = SHA256Digest(parsing: text) else {
                        throw ConfigurationError(
                            "\(entry.path).fingerprint must be sha256:<64 hex digits>, the SHA-256 of the DER public key")
                    }
                    pin = digest
                }
                keyEntries.append(
                    KeyEntry(
                        name: name, reference: KeyReference(reference).relative(to: baseDirectory), fingerprint: pin,
                        notBefore: try entry.date("not_before"), notAfter: try entry.date("not_after")))
                try entry.finish()
            }
            try keyMap.finish()
        }
        var authorities: [String: Authority] = [:]
        if var authorityMap = try reader.mapping("certificate_authorities") {
            for name in authorityMap.keys {
                guard var entry = try authorityMap.mapping(name) else { continue }
                let roots = try entry.strings("roots") ?? []
                guard !roots.isEmpty else { throw ConfigurationError("\(entry.path).roots must list at least one PEM file") }
                authorities[name] = Authority(
                    name: name, verifier: try CertificateChainVerifier(rootPEMs: try roots.map(read)),
                    identities: try entry.strings("identities") ?? [])
                try entry.finish()
            }
            try authorityMap.finish()
        }
        var keyless: [String: KeylessSigner] = [:]
        if var keylessMap = try reader.mapping("keyless_identities") {
            for name in keylessMap.keys {
                guard var entry = try keylessMap.mapping(name) else { continue }
                let identity = try Self.match(&entry, "identity")
                let issuer = try Self.match(&entry, "issuer")
                keyless[name] = KeylessSigner(name: name, policy: KeylessIdentityPolicy(identity: identity, issuer: issuer))
                try entry.finish()
            }
            try keylessMap.finish()
        }
        var sigstoreRoot = TrustedRoot.publicGood
        if var sigstore = try reader.mapping("sigstore") {
            if let file = try sigstore.string("trusted_root") {
                guard let data = FileManager.default.contents(atPath: resolve(file)) else {
                    throw ConfigurationError("cannot read \(resolve(file))")
                }
                sigstoreRoot = try TrustedRoot(bytes: Array(data))
            }
            try sigstore.finish()
        }
        let modelSigners = try reader.strings("model_signers") ?? []
        var approval: AttestationRule?
        var scan: AttestationRule?
        var sbom: AttestationRule?
        if var attestations = try reader.mapping("attestations") {
            approval = try Self.rule(try attestations.mapping("approval"), allowsSeverity: false)
            scan = try Self.rule(try attestations.mapping("scan"), allowsSeverity: true)
            sbom = try Self.rule(try attestations.mapping("sbom"), allowsSeverity: false)
            try attestations.finish()
        }
        var revocation: RevocationRule?
        if var entry = try reader.mapping("revocation") {
            revocation = RevocationRule(
                signers: try entry.strings("signers") ?? [], reference: try entry.string("reference") ?? "revocations",
                stateFile: try entry.string("state_file").map(resolve),
                minimumSerial: Int64(try entry.nonNegativeInt("minimum_serial") ?? 0))
            try entry.finish()
        }
        let policySigners = try reader.strings("policy_signers") ?? []
        let stage = try reader.string("required_stage") ?? "Approved"
        try reader.finish()
        var keys: [String: TrustedKey] = [:]
        for entry in keyEntries {
            keys[entry.name] = try await entry.open(with: store)
        }
        try self.init(
            keys: keys, authorities: authorities, keyless: keyless, sigstoreRoot: sigstoreRoot, modelSigners: modelSigners,
            approval: approval, scan: scan, sbom: sbom,
            revocation: revocation, policySigners: policySigners, requiredStage: stage)
    }

    /// A `keys:` entry as written, before its key is read.
    private struct KeyEntry {
        let name: String
        let reference: KeyReference
        let fingerprint: SHA256Digest?
        let notBefore: Date?
        let notAfter: Date?

        func open(with store: some KeyStore) async throws(TrustFailure) -> TrustedKey {
            let key = try await store.publicKey(reference)
            if let fingerprint, key.fingerprint != fingerprint {
                throw TrustFailure(
                    .keyMismatch,
                    "keys.\(name): \(reference) holds \(key.algorithm) key sha256:\(key.fingerprint.hex), not the pinned \(fingerprint)")
            }
            return TrustedKey(name: name, key: key, notBefore: notBefore, notAfter: notAfter)
        }
    }

    /// `identity` or `identity_regexp` (and the same for `issuer`): exactly one of the two. A
    /// pattern must match the whole value and is checked when the policy loads.
    private static func match(_ entry: inout StrictMapping, _ field: String) throws -> KeylessIdentityPolicy.Match {
        switch (try entry.string(field), try entry.string(field + "_regexp")) {
        case let (exact?, nil): return .exact(exact)
        case let (nil, pattern?):
            _ = try KeylessIdentityPolicy.Match.pattern(pattern).matches("")
            return .pattern(pattern)
        default: throw ConfigurationError("\(entry.path) needs exactly one of \(field) and \(field)_regexp")
        }
    }

    private static func rule(_ mapping: StrictMapping?, allowsSeverity: Bool) throws -> AttestationRule? {
        guard var entry = mapping else { return nil }
        let signers = try entry.strings("signers") ?? []
        guard !signers.isEmpty else { throw ConfigurationError("\(entry.path).signers must name at least one key") }
        var maximum: Severity?
        if allowsSeverity, let text = try entry.string("max_severity") {
            guard let parsed = Severity(text) else { throw ConfigurationError("\(entry.path).max_severity: unknown severity \(text)") }
            maximum = parsed
        }
        let rule = AttestationRule(signers: signers, required: try entry.bool("required") ?? true, maximumSeverity: maximum)
        try entry.finish()
        return rule
    }
}
