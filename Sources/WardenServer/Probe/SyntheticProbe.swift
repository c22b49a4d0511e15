import Foundation
import HTTPTypes
import NIOHTTP1
import WardenJSON
import WardenServing

/// Sends a contract's samples to a running Warden over mutual TLS, as a client would, and
/// holds each answer to the sample's expected outputs, to the version and digest that must
/// answer, and to a 200. For a CronJob, a CI stage or a rollback drill: a pass proves the
/// served model still gives the approved answers, not just that a port is open.
public final class SyntheticProbe: Sendable {
    /// Where to send the samples and who must answer.
    public struct Target: Sendable {
        public var host: String
        public var port: Int
        /// The server's SPIFFE ID: any other identity is not the server the probe means to test.
        public var serverID: SPIFFEID
        public var model: String
        /// A version to address (`/versions/{v}/infer`); nil sends unversioned requests, as clients do.
        public var version: String?
        /// The artifact digest that must answer (`Warden-Model-Digest`), e.g. after a rollback.
        public var expectedDigest: String?

        public init(host: String, port: Int, serverID: SPIFFEID, model: String) {
            self.host = host
            self.port = port
            self.serverID = serverID
            self.model = model
        }
    }

    /// What one sample's request got.
    public struct Outcome: Sendable {
        public let sample: String
        public let status: Int?
        public let version: String?
        public let digest: String?
        public let latency: Duration
        /// Empty when the sample passed.
        public let problems: [String]
        public var passed: Bool { problems.isEmpty }
        public var latencyMilliseconds: Double { latency.seconds * 1000 }
    }

    let target: Target
    private let client: OutboundClient
    private let timeout: Duration

    public init(target: Target, tls: TLSSettings, timeout: Duration) throws {
        self.target = target
        self.timeout = timeout
        client = OutboundClient(
            host: target.host, port: target.port, pinnedID: target.serverID, material: try TLSMaterial(settings: tls))
    }

    public var path: String {
        "/v2/models/\(target.model)" + (target.version.map { "/versions/\($0)" } ?? "") + "/infer"
    }

    /// Sends every sample in turn; a contract without samples is a failure, not a pass.
    public func run(_ contract: ModelContract) async -> [Outcome] {
        guard !contract.samples.isEmpty else {
            return [Outcome(sample: "-", status: nil, version: nil, digest: nil, latency: .zero, problems: ["the contract has no samples"])]
        }
        var outcomes: [Outcome] = []
        for sample in contract.samples { outcomes.append(await send(sample, contract: contract)) }
        return outcomes
    }

    private func send(_ sample: ContractSample, contract: ModelContract) async -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        let response: OutboundClient.Response
        do {
            let body = try sample.inferenceRequest(inputs: contract.requestInputs)
            response = try await client.post(path: path, body: body, headers: [.accept: "application/json"], timeout: timeout)
        } catch {
            return Outcome(
                sample: sample.name, status: nil, version: nil, digest: nil, latency: clock.now - started,
                problems: [describe(error)])
        }
        let latency = clock.now - started
        let version = response.headers.first(name: "Warden-Model-Version")
        let digest = response.headers.first(name: "Warden-Model-Digest")
        var problems: [String] = []
        if response.status != 200 {
            let code = response.headers.first(name: "Warden-Error-Code") ?? "no error code"
            problems.append("status \(response.status) (\(code))")
        }
        if let wanted = target.version, version != wanted {
            problems.append("answered by version \(version ?? "(none)"), expected \(wanted)")
        }
        if let wanted = target.expectedDigest, digest != wanted {
            problems.append("answered by digest \(digest ?? "(none)"), expected \(wanted)")
        }
        if response.status == 200 {
            do {
                let answer = try JSONParser.parse(response.body)
                problems += SampleAnswerCheck.differences(answer: answer, sample: sample, contract: contract)
            } catch {
                problems.append("the answer is not JSON: \(error)")
            }
        }
        return Outcome(sample: sample.name, status: response.status, version: version, digest: digest, latency: latency, problems: problems)
    }

    private func describe(_ error: any Error) -> String {
        switch error as? OutboundClient.Failure {
        case .timeout?: return "timed out"
        case .closed?: return "the server closed the connection (it refuses a client certificate during the handshake)"
        case let .connect(reason)?: return "could not connect: \(reason)"
        case nil:
            // Our side refused the server: its chain is not from the trust bundle or its ID is not the pin.
            if "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
                return "the server's certificate was refused: not chained to the trust bundle, or not \(target.serverID)"
            }
            if "\(error)".contains("ALERT_CERTIFICATE_UNKNOWN") || "\(error)".contains("ALERT_UNKNOWN_CA") {
                return "the server refused the client certificate during the handshake"
            }
            return "\(error)"
        }
    }
}
