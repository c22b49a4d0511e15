import ArgumentParser
import Foundation
import WardenJSON
import WardenServer
import WardenServing

/// `warden probe`: a synthetic check of a running server. Sends the contract's samples over
/// mutual TLS with a client certificate, pins the server's SPIFFE ID, and checks every answer
/// against the sample's expected outputs (and, if given, the version and digest that must
/// answer). Exit 0 when every sample passes, 1 otherwise; for a CronJob, CI or a drill.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "Send a model contract's samples to a running server and check the answers.")

    @Option(help: "Server address, HOST:PORT.")
    var server = "127.0.0.1:8080"

    @Option(help: "The server's SPIFFE ID; a server presenting any other is not answered.")
    var serverID: String

    @Option(help: "Client certificate (PEM) with the prober's SPIFFE ID.")
    var tlsCert: String

    @Option(help: "Private key (PEM) of the client certificate.")
    var tlsKey: String

    @Option(help: "Trust bundle (PEM) the server's certificate must chain to.")
    var ca: String

    @Option(help: "Contract with samples: a warden-model.json, or an artifact directory holding one.")
    var contract: String

    @Option(help: "Model name to address (default: the contract's).")
    var model: String?

    @Option(help: "Version to address (default: unversioned requests, routed like any client's).")
    var version: String?

    @Option(help: "Digest that must answer (Warden-Model-Digest), e.g. sha256:<hex>.")
    var expectedDigest: String?

    @Option(help: "Seconds to wait for each answer.")
    var timeout: Double = 5

    @Flag(help: "Print one JSON document instead of lines.")
    var json = false

    func validate() throws {
        guard timeout > 0, timeout <= 300 else { throw ValidationError("--timeout must be in (0, 300] seconds") }
        guard address != nil else { throw ValidationError("--server must be HOST:PORT") }
        do { _ = try SPIFFEID(parsing: serverID) } catch { throw ValidationError("--server-id: \(error)") }
    }

    private var address: (host: String, port: Int)? {
        guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        let host = server[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        let contract = try loadContract()
        guard let address else { throw ValidationError("--server must be HOST:PORT") }
        var target = SyntheticProbe.Target(
            host: address.host, port: address.port, serverID: try SPIFFEID(parsing: serverID), model: model ?? contract.name)
        target.version = version
        target.expectedDigest = expectedDigest
        let probe = try SyntheticProbe(
            target: target, tls: TLSSettings(certificateFile: tlsCert, privateKeyFile: tlsKey, clientCABundleFile: ca),
            timeout: .milliseconds(Int64(timeout * 1000)))
        let outcomes = await probe.run(contract)
        let failed = outcomes.filter { !$0.passed }.count
        if json {
            print(Self.document(outcomes, path: probe.path).serialized())
        } else {
            for outcome in outcomes { print(Self.line(outcome)) }
            print("\(outcomes.count - failed) passed, \(failed) failed")
        }
        if failed > 0 { throw ExitCode(1) }
    }

    private func loadContract() throws -> ModelContract {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: contract, isDirectory: &isDirectory)
        let path = isDirectory.boolValue ? (contract as NSString).appendingPathComponent(ModelContract.fileName) : contract
        let found: ModelContract?
        do {
            found = exists ? try ModelContract.read(contentsOf: path) : nil
        } catch {
            throw ValidationError("--contract \(path): \(error)")
        }
        guard let found else { throw ValidationError("--contract: cannot read \(path)") }
        return found
    }

    static func line(_ outcome: SyntheticProbe.Outcome) -> String {
        var answered = outcome.status.map { "\($0)" } ?? "no answer"
        if let version = outcome.version { answered += " from version \(version) (\(outcome.digest ?? "unpinned"))" }
        let timing = String(format: "%.1f ms", outcome.latencyMilliseconds)
        if outcome.passed { return "PASS \(outcome.sample): \(answered) in \(timing)" }
        return "FAIL \(outcome.sample): \(answered) in \(timing): " + outcome.problems.joined(separator: "; ")
    }

    static func document(_ outcomes: [SyntheticProbe.Outcome], path: String) -> JSONValue {
        let samples = outcomes.map { outcome -> JSONValue in
            .object([
                (key: "sample", value: .string(outcome.sample)),
                (key: "passed", value: .bool(outcome.passed)),
                (key: "status", value: outcome.status.map { .integer(Int64($0)) } ?? .null),
                (key: "version", value: outcome.version.map { .string($0) } ?? .null),
                (key: "digest", value: outcome.digest.map { .string($0) } ?? .null),
                (key: "latency_ms", value: .number(outcome.latencyMilliseconds)),
                (key: "problems", value: .array(outcome.problems.map { .string($0) })),
            ])
        }
        let failed = outcomes.filter { !$0.passed }.count
        return .object([
            (key: "path", value: .string(path)),
            (key: "passed", value: .integer(Int64(outcomes.count - failed))),
            (key: "failed", value: .integer(Int64(failed))),
            (key: "samples", value: .array(samples)),
        ])
    }
}
