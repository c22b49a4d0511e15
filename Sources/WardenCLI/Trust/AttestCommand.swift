import ArgumentParser
import Foundation
import WardenJSON
import WardenRegistry
import WardenTrust

/// `warden attest`: sign an in-toto statement about an artifact (DSSE) and attach it.
struct AttestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest", abstract: "Attest to an artifact (approval, scan, SBOM) with a DSSE-signed in-toto statement.")

    @Argument(help: "The artifact: oci:PATH:TAG or HOST/REPOSITORY:TAG (or …@sha256:…).")
    var model: String

    @Option(name: .customLong("private-key"), help: "The attester's key: \(CLIKeys.help).")
    var privateKey: String

    @Option(name: .long, help: "Approve the artifact for this stage (e.g. Approved).")
    var approve: String?

    @Option(name: .long, help: "Who approves (with --approve).")
    var approver: String?

    @Option(name: .customLong("predicate-type"), help: "Predicate type URI (with --predicate).")
    var predicateType: String?

    @Option(name: .long, help: "Predicate JSON file: a CycloneDX/SPDX SBOM, a cosign vuln predicate, …")
    var predicate: String?

    @Option(name: .long, help: "Also write the envelope here.")
    var out: String?

    @Flag(name: .customLong("no-attach"), help: "Only write --out; do not attach to the artifact.")
    var noAttach = false

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        try await CLIKeys.signing(attest)
    }

    private func attest() async throws {
        let key = try await CLIKeys.signingKey(privateKey)
        let reference = try ArtifactReference(parsing: model)
        let store = try registry.store(for: reference)
        guard let subject = try await store.resolve(reference.reference) else { throw ValidationError("no artifact at \(model)") }
        let (type, body) = try statementPredicate()
        let statement = JSONValue.object([
            ("_type", .string("https://in-toto.io/Statement/v1")),
            (
                "subject",
                .array([
                    .object([("name", .string(reference.description)), ("digest", .object([("sha256", .string(subject.digest.hex))]))])
                ])
            ),
            ("predicateType", .string(type)), ("predicate", body),
        ])
        let envelope = try await DSSEEnvelope.sign(
            payloadType: InTotoStatement.payloadType, payload: Array(statement.serialized().utf8), with: key)
        let bytes = Array(envelope.json.serialized().utf8)
        if let out { try Data(bytes).write(to: URL(fileURLWithPath: out)) }
        if !noAttach {
            _ = try await ModelArtifactPusher(store: store).attach(
                bytes, mediaType: MediaType.dsseEnvelope, to: subject, annotations: [(MediaType.predicateTypeAnnotation, type)])
        }
        print("attested \(type) for \(subject.digest) with key \(key.publicKey.fingerprint.hex.prefix(16))")
    }

    private func statementPredicate() throws -> (String, JSONValue) {
        if let approve {
            guard let approver, predicate == nil else { throw ValidationError("--approve needs --approver and no --predicate") }
            return (PredicateType.approval, ApprovalPredicate.json(stage: approve, approver: approver, approvedAt: Date()))
        }
        guard let predicateType, let predicate else {
            throw ValidationError("give --approve STAGE --approver WHO, or --predicate-type and --predicate")
        }
        return (predicateType, try JSONParser.parse(try CLIFile.read(predicate)))
    }
}
