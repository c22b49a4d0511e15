import ArgumentParser
import Foundation
import WardenJSON
import WardenRegistry
import WardenServer
import WardenServing
import WardenTrust

/// What `fetch` and `verify` both take: where the artifact is, what to trust, what to expect.
struct ArtifactOptions: ParsableArguments {
    @Option(name: .long, help: "The artifact: oci:PATH:TAG, oci:PATH@sha256:…, or HOST/REPOSITORY:TAG.")
    var model: String?

    @Option(name: .long, help: "Trust policy file: keys, authorities, who may sign what (docs/trust.md).")
    var trust: String

    @Option(name: .customLong("expected-digest"), help: "The pinned manifest digest (sha256:…); defaults to the reference's digest.")
    var expectedDigest: String?

    @Option(name: .customLong("max-bytes"), help: "Largest artifact accepted, all files together (default 16 GiB).")
    var maxBytes: Int64?

    @Flag(name: .long, help: "Print the result as one JSON document.")
    var json = false

    @Option(name: .long, help: "Give up (installing nothing) when the whole fetch takes longer than this many seconds.")
    var timeout: Double = 600

    @OptionGroup var registry: RegistryOptions

    @Option(
        name: .customLong("gate-policy"), help: "Rego startup gate (data.serving.startup.permit); replaces the built-in gate. Repeatable.")
    var gatePolicy: [String] = []

    @Flag(name: .customLong("v0-compatible"), help: "Read the gate policy in Rego v0 syntax (the requirements' text).")
    var v0Compatible = false

    @Option(
        name: .customLong("gate-bundle"),
        help:
            "Rego startup gate from a signed policy bundle pinned by digest (HOST/REPO@sha256:… or oci:PATH@sha256:…), signed by policy_signers."
    )
    var gateBundle: String?

    func fetcher() async throws(TrustFailure) -> ArtifactFetcher {
        let policy = try await TrustPolicy(contentsOfFile: trust, keys: CLIKeys.store)
        var limits = ModelArtifactPuller.Limits()
        if let maxBytes {
            limits.maximumTotalBytes = maxBytes
            limits.maximumFileBytes = min(limits.maximumFileBytes, maxBytes)
        }
        let gate: any StartupGate
        switch (gatePolicy.isEmpty, gateBundle) {
        case (true, nil): gate = BuiltinStartupGate(requiredStage: policy.requiredStage)
        case (false, nil): gate = try RegoStartupGate(files: gatePolicy, v0Compatible: v0Compatible)
        case let (true, bundle?): gate = try await gateFromBundle(bundle, trust: policy)
        case (false, _?): throw TrustFailure(.malformedStatement, "give --gate-policy or --gate-bundle, not both")
        }
        var fetcher = ArtifactFetcher(
            verifier: ArtifactVerifier(policy: policy, gate: gate), limits: limits,
            credentialsFile: registry.credentials)
        fetcher.tls = registry.tls
        guard timeout > 0, timeout <= 86_400 else { throw TrustFailure(.malformedStatement, "--timeout must be in (0, 86400] seconds") }
        fetcher.deadline = .milliseconds(Int64(timeout * 1000))
        fetcher.servabilityCheck = { directory in
            ContractCheck.appliesTo(directory: directory) ? ContractCheck.problems(directory: directory, requireContract: false) : []
        }
        return fetcher
    }

    private func gateFromBundle(_ text: String, trust: TrustPolicy) async throws(TrustFailure) -> RegoStartupGate {
        let (reference, store) = try registry.open(text, option: "--gate-bundle: ")
        return try RegoStartupGate(bundle: try await PolicyBundlePull.verified(reference, store: store, trust: trust, requirePin: true))
    }

    func reference() throws(TrustFailure) -> ArtifactReference {
        guard let model else { throw TrustFailure(.malformedStatement, "--model is required") }
        do { return try ArtifactReference(parsing: model) } catch { throw TrustFailure(.malformedStatement, error.description) }
    }

    func pin() throws(TrustFailure) -> SHA256Digest? {
        guard let expectedDigest else { return nil }
        guard let digest = SHA256Digest(parsing: expectedDigest) else {
            throw TrustFailure(.malformedStatement, "--expected-digest must be sha256:<64 hex>")
        }
        return digest
    }

    func printSuccess(_ report: VerificationReport, action: String) {
        if json {
            print(JSONValue.object([("verified", .bool(true)), ("receipt", report.receipt)]).serialized())
        } else {
            print(
                "\(action) \(report.reference) (\(report.manifestDigest)): signed by \(report.signer?.description ?? "?"), stage \(report.stage)"
            )
        }
    }
}

/// `warden fetch`: the init container's job. Pull, verify everything, install read-only.
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Pull a model, verify signature, attestations, revocation and the startup gate, install it read-only.")

    @OptionGroup var options: ArtifactOptions

    @Option(name: .long, help: "Folder to install into; must not exist yet (its parent must).")
    var dest: String?

    @Argument(
        help: ArgumentHelp(
            "KServe's storage-initializer form, instead of --model and --dest: warden://HOST/REPOSITORY@sha256:… (the pin is required) and the folder KServe mounts; the model goes into FOLDER/model.",
            valueName: "storage-uri> <folder"))
    var storageInitializer: [String] = []

    func run() async throws {
        try await TrustOutcome.run(json: options.json) { () async throws(TrustFailure) in
            let (reference, pin, destination) = try target()
            let report = try await options.fetcher().fetch(reference, to: destination, expectedDigest: pin)
            options.printSuccess(report, action: "installed into \(destination):")
        }
    }

    /// What to fetch, against which pin, into where: from the options, or from KServe's two
    /// positional arguments.
    private func target() throws(TrustFailure) -> (ArtifactReference, SHA256Digest?, String) {
        guard !storageInitializer.isEmpty else {
            guard let dest else { throw TrustFailure(.malformedStatement, "--dest is required (or KServe's form: STORAGE-URI FOLDER)") }
            return (try options.reference(), try options.pin(), dest)
        }
        guard storageInitializer.count == 2, options.model == nil, dest == nil else {
            throw TrustFailure(.malformedStatement, "KServe's form takes exactly STORAGE-URI FOLDER, without --model or --dest")
        }
        let storage = try KServeStorageURI(storageInitializer[0])
        if let pinned = try options.pin(), pinned != storage.digest {
            throw TrustFailure(.malformedStatement, "--expected-digest \(pinned) differs from the storage URI's \(storage.digest)")
        }
        return (storage.reference, storage.digest, storageInitializer[1] + "/model")
    }
}

/// `warden verify REF`: the same checks as fetch, writing nothing that stays.
struct VerifyArtifactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifact", abstract: "Verify an artifact in a registry or layout as fetch would, without installing it.")

    @OptionGroup var options: ArtifactOptions

    func run() async throws {
        try await TrustOutcome.run(json: options.json) { () async throws(TrustFailure) in
            let scratch = NSTemporaryDirectory() + "warden-verify-" + UUID().uuidString
            guard (try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)) != nil else {
                throw TrustFailure(.unreadableFile, "cannot create \(scratch)")
            }
            defer { ArtifactFetcher.removeInstalled(scratch) }
            let report = try await options.fetcher().fetch(
                try options.reference(), to: scratch + "/model", expectedDigest: try options.pin())
            options.printSuccess(report, action: "verified")
        }
    }
}
