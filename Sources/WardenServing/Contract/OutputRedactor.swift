import Crypto
import Foundation
import Synchronization
import WardenONNX
import WardenSchema
import WardenTrust

/// Applies a contract's redactions to a model's outputs before they are encoded, so every
/// response format (OIP v2 JSON or binary, KServe v1) carries the same redacted values.
public final class OutputRedactor: Sendable {
    public static let mask = "[REDACTED]"

    /// The HMAC-SHA256 key for `hash`, held in memory only. Hashes correlate only while the
    /// key stays the same.
    private let key: Mutex<SymmetricKey>
    /// The file a secrets agent renders the key into; re-read by `reload()`.
    package let keyFile: String?
    private let fingerprint: Mutex<Crypto.SHA256Digest?>

    public init(key: SymmetricKey) {
        self.key = Mutex(key)
        keyFile = nil
        fingerprint = Mutex(nil)
    }

    /// Reads the key from a file (as a secrets agent renders it). At least 32 bytes: a short
    /// key would let anyone confirm guesses of a hashed value.
    public init(keyFile path: String) throws {
        let data = try Self.read(path)
        key = Mutex(SymmetricKey(data: data))
        keyFile = path
        fingerprint = Mutex(SHA256.hash(data: data))
    }

    private static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationFailure("cannot read the redaction key file \(path)")
        }
        guard data.count >= 32 else {
            throw ConfigurationFailure("the redaction key file \(path) holds \(data.count) bytes; at least 32 are needed")
        }
        return data
    }

    /// Re-reads the key file; true when a new key is now in use. A file that is unreadable or
    /// too short keeps the current key.
    package func reload() throws -> Bool {
        guard let keyFile else { return false }
        let data = try Self.read(keyFile)
        let digest = SHA256.hash(data: data)
        guard fingerprint.withLock({ $0 }) != digest else { return false }
        key.withLock { $0 = SymmetricKey(data: data) }
        fingerprint.withLock { $0 = digest }
        return true
    }

    /// A key that lives only as long as the process.
    public static func ephemeral() -> OutputRedactor { OutputRedactor(key: SymmetricKey(size: .bits256)) }

    package func apply(_ plan: RedactionPlan, to results: inout [String: Value]) {
        guard !plan.actions.isEmpty else { return }
        let hashKey = key.withLock { $0 }
        for (name, action) in plan.actions {
            guard let value = results[name] else { continue }
            switch action {
            case .drop:
                results[name] = nil
            case .mask:
                let tensor = OutputTensor.of(value)
                results[name] = .tensor(Tensor(shape: tensor.shape, storage: .string(Array(repeating: Self.mask, count: tensor.count))))
            case .hash:
                let tensor = OutputTensor.of(value)
                let hashes = (0..<tensor.count).map { index in
                    let text: String
                    switch TensorRecords.element(tensor.storage, index) {
                    case let .string(s): text = s
                    case let other: text = other.serialized()
                    }
                    return Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: hashKey))
                }
                results[name] = .tensor(Tensor(shape: tensor.shape, storage: .string(hashes)))
            }
        }
    }
}

/// A serve setting that cannot be used, with the reason.
public struct ConfigurationFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
