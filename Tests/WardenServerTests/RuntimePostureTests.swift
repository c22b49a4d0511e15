import Foundation
import Testing

@testable import WardenServer

/// The self-check's readings. The checks against a real restricted sandbox (bubblewrap,
/// setpriv, seccomp) are in tests/interop/test_hardening.py.
@Suite struct RuntimePostureTests {
    static let restricted = """
        Name:\twarden
        Uid:\t65532\t65532\t65532\t65532
        NoNewPrivs:\t1
        Seccomp:\t2
        Seccomp_filters:\t1
        CapInh:\t0000000000000000
        CapPrm:\t0000000000000000
        CapEff:\t0000000000000000
        CapBnd:\t0000000000000000
        CapAmb:\t0000000000000000
        """

    @Test func readsTheKernelsViewOfARestrictedProcess() {
        let status = ProcessStatus(statusText: Self.restricted)
        #expect(status.effectiveCapabilities == 0 && status.permittedCapabilities == 0 && status.ambientCapabilities == 0)
        #expect(status.seccompMode == 2 && status.noNewPrivileges == true)
        #expect(RuntimePosture.noCapabilities(status).passed)
        #expect(RuntimePosture.seccompFilter(status).passed)
    }

    @Test func aPermittedCapabilityFailsEvenWhenNoneIsEffective() {
        // CAP_NET_BIND_SERVICE permitted: the process can raise it to effective at any time.
        let text = Self.restricted.replacingOccurrences(of: "CapPrm:\t0000000000000000", with: "CapPrm:\t0000000000000400")
        let check = RuntimePosture.noCapabilities(ProcessStatus(statusText: text))
        #expect(!check.passed && check.detail.contains("CapPrm=400"))
    }

    @Test func unreadableStatusFailsClosed() {
        let status = ProcessStatus(statusText: "")
        #expect(!RuntimePosture.noCapabilities(status).passed)
        #expect(!RuntimePosture.seccompFilter(status).passed)
        let unconfined = ProcessStatus(statusText: "Seccomp:\t0")
        #expect(RuntimePosture.seccompFilter(unconfined).detail == "mode 0: no filter")
    }

    @Test func aWritableModelDirectoryIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("posture-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        FileManager.default.createFile(atPath: directory + "/model.onnx", contents: Data([1]))
        let check = RuntimePosture.readOnlyModels([directory])
        #expect(!check.passed && check.detail.hasPrefix(directory))
    }

    @Test func secretsInTheEnvironmentAndTheAggregate() {
        let posture = RuntimePosture.inspect(modelDirectories: [], secretsInEnvironment: ["TLS_PRIVATE_KEY"])
        let secrets = posture.checks.first { $0.name == "no_secrets_in_environment" }
        #expect(secrets?.passed == false && secrets?.detail == "TLS_PRIVATE_KEY")
        #expect(!posture.isHardened && posture.failures.contains { $0.name == "no_secrets_in_environment" })
        // Warden sets no_new_privs itself, so it holds in any process that ran the check.
        #expect(posture.checks.first { $0.name == "no_new_privs" }?.passed == true)
        #expect(posture.checks.map(\.name).count == 8)
    }

    /// Issue 24: where the kernel enforces AppArmor, Warden must run under an enforcing profile;
    /// `--require-hardened` then refuses to start unconfined (every failed check refuses).
    @Test(
        arguments: [
            (nil, nil, true), ("N", "unconfined", true), ("Y", "unconfined", false), ("Y", "warden-serve (enforce)", true),
            ("Y", "warden-serve (complain)", false), ("Y", "cri-containerd.apparmor.d (enforce)", true), ("Y", nil, false),
        ] as [(String?, String?, Bool)])
    func appArmorConfinementWhereTheKernelHasIt(enabled: String?, label: String?, passes: Bool) {
        let check = AppArmorConfinement(enabled: enabled, label: label).check
        #expect(check.name == "apparmor" && check.passed == passes, "\(check.detail)")
    }
}
