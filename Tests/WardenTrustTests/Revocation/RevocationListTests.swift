import Foundation
import Testing
import WardenTrust

/// Revocation lists: signed by an allowed key, current, and never older than what was seen.
@Suite struct RevocationListTests {
    let security = SigningKey.generate(.p256)
    var keys: [TrustedKey] { [TrustedKey(name: "security", key: security.publicKey)] }
    let now = Date()
    let revoked = SHA256Digest.of(Array("model".utf8))

    func envelope(serial: Int64, expiresIn: TimeInterval = 3600, issuedIn: TimeInterval = 0, key: SigningKey? = nil) async throws -> [UInt8]
    {
        let list = RevocationList(
            serial: serial, issuedAt: now.addingTimeInterval(issuedIn), expiresAt: now.addingTimeInterval(expiresIn),
            entries: [RevocationList.Entry(digest: revoked, reason: "leaked training data")])
        let signed = try await DSSEEnvelope.sign(payloadType: RevocationList.payloadType, payload: list.payload, with: key ?? security)
        return Array(signed.json.serialized().utf8)
    }

    @Test func currentSignedListVerifies() async throws {
        let (list, signer) = try RevocationList.verified(envelope: try await envelope(serial: 3), keys: keys, minimumSerial: 2, at: now)
        #expect(signer.name == "security" && list.serial == 3)
        #expect(list.entry(for: revoked)?.reason == "leaked training data")
    }

    @Test func expiredListIsRefused() async throws {
        let failure = await #expect(throws: TrustFailure.self) {
            try RevocationList.verified(envelope: try await envelope(serial: 3, expiresIn: -1), keys: keys, minimumSerial: 0, at: now)
        }
        #expect(failure?.code == .revocationListInvalid && failure?.detail.contains("expired") == true)
    }

    @Test func olderSerialIsRefused() async throws {
        let failure = await #expect(throws: TrustFailure.self) {
            try RevocationList.verified(envelope: try await envelope(serial: 3), keys: keys, minimumSerial: 4, at: now)
        }
        #expect(failure?.detail.contains("rollback") == true)
    }

    @Test func listFromTheFutureIsRefused() async throws {
        await #expect(throws: TrustFailure.self) {
            try RevocationList.verified(envelope: try await envelope(serial: 3, issuedIn: 3600), keys: keys, minimumSerial: 0, at: now)
        }
    }

    @Test func listSignedByAnotherKeyIsRefused() async throws {
        let failure = await #expect(throws: TrustFailure.self) {
            try RevocationList.verified(
                envelope: try await envelope(serial: 3, key: .generate(.p256)), keys: keys, minimumSerial: 0, at: now)
        }
        #expect(failure?.code == .revocationListInvalid)
    }

    @Test func stateFileOnlyGrows() async throws {
        let folder = try ScratchDirectory()
        let state = RevocationState(path: folder.path + "/serial")
        #expect(state.highestSerial() == 0)
        try state.record(5)
        try state.record(3)
        #expect(state.highestSerial() == 5)
    }
}
