import Foundation
import WardenKeys
import WardenTrust
import XCTest

/// A key in a real SoftHSM2 token, made here with softhsm2-util and pkcs11-tool: one session
/// shared by concurrent signers, and both RSA paddings. The interop tests cover the CLI and the
/// peers; these cover what the CLI cannot reach.
final class PKCS11KeyTests: XCTestCase {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
    static let pin = "2718"

    /// A token with an EC P-256 key (`ec`) and an RSA 2048 key (`rsa`), and the URI prefix.
    static let token: Result<(directory: URL, pinFile: String), any Error> = Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-softhsm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tokens"), withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("softhsm2.conf")
        try "directories.tokendir = \(directory.path)/tokens\nobjectstore.backend = file\nlog.level = ERROR\n".write(
            to: config, atomically: true, encoding: .utf8)
        // The module reads its configuration from here when it is first loaded, in this process.
        setenv("SOFTHSM2_CONF", config.path, 1)
        try run("/usr/bin/softhsm2-util", "--init-token", "--free", "--label", "unit", "--pin", pin, "--so-pin", "31415")
        for (label, type, id) in [("ec", "EC:prime256v1", "01"), ("rsa", "rsa:2048", "02")] {
            try run(
                "/usr/bin/pkcs11-tool", "--module", module, "--token-label", "unit", "--login", "--pin", pin, "--keypairgen",
                "--key-type", type, "--label", label, "--id", id)
        }
        let pinFile = directory.appendingPathComponent("pin").path
        try pin.write(toFile: pinFile, atomically: true, encoding: .utf8)
        return (directory, pinFile)
    }

    static func run(_ tool: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    }

    func uri(_ label: String) throws -> PKCS11URI {
        guard FileManager.default.fileExists(atPath: Self.module) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("softhsm2 is not installed (scripts/setup.sh)") }
            throw XCTSkip("softhsm2 is not installed")
        }
        let (_, pinFile) = try Self.token.get()
        return try PKCS11URI(parsing: "pkcs11:token=unit;object=\(label)?module-path=\(Self.module)&pin-source=file:\(pinFile)")
    }

    func testConcurrentSignersShareOneSessionSafely() async throws {
        let key = try PKCS11Key(signingWith: try uri("ec"))
        let signatures = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for index in 0..<64 {
                group.addTask { (index, try await key.signature(for: Array("message \(index)".utf8))) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        XCTAssertEqual(signatures.count, 64)
        for (index, signature) in signatures {
            XCTAssertTrue(key.publicKey.isValidSignature(signature, for: Array("message \(index)".utf8)), "\(index)")
            XCTAssertFalse(key.publicKey.isValidSignature(signature, for: Array("message \(index + 1)".utf8)))
        }
    }

    func testRSAKeysSignWithPSSOrPKCS1() async throws {
        let message = Array("DSSEv1 4 test 2 {}".utf8)
        for padding in [PKCS11Key.RSAPadding.pss, .pkcs1v15] {
            let key = try PKCS11Key(signingWith: try uri("rsa"), rsaPadding: padding)
            XCTAssertEqual(key.publicKey.algorithm, "rsa")
            let signature = try await SigningKey.external(key).signature(for: message)
            XCTAssertEqual(signature.count, 256, "\(padding)")
            XCTAssertTrue(key.publicKey.isValidSignature(signature, for: message), "\(padding)")
        }
        // PSS is randomized and PKCS#1 v1.5 is not: the two paddings really differ.
        let pkcs1 = try PKCS11Key(signingWith: try uri("rsa"), rsaPadding: .pkcs1v15)
        let first = try await pkcs1.signature(for: message)
        let second = try await pkcs1.signature(for: message)
        XCTAssertEqual(first, second)
        let pss = try PKCS11Key(signingWith: try uri("rsa"))
        let third = try await pss.signature(for: message)
        let fourth = try await pss.signature(for: message)
        XCTAssertNotEqual(third, fourth)
    }

    func testThePublicKeyIsReadWithoutALogin() throws {
        let withPIN = try uri("ec")
        var withoutPIN = withPIN
        withoutPIN.pinSource = nil
        XCTAssertEqual(try PKCS11Key.publicKey(of: withoutPIN), try PKCS11Key(signingWith: withPIN).publicKey)
    }
}
