import ArgumentParser
import Foundation
import WardenJSON
import WardenTrust

/// How trust commands end: one human line (stderr on refusal) or, with `--json`, one JSON
/// document on stdout; a refusal exits with its failure class's status.
enum TrustOutcome {
    static func refuse(_ failure: TrustFailure, json: Bool) -> ExitCode {
        if json {
            let document = JSONValue.object([
                ("verified", .bool(false)), ("code", .string(failure.code.rawValue)),
                ("class", .string(failure.code.failureClass.rawValue)), ("detail", .string(failure.detail)),
            ])
            print(document.serialized())
        } else {
            FileHandle.standardError.write(Data("warden: refused: \(failure)\n".utf8))
        }
        return ExitCode(failure.code.failureClass.exitStatus)
    }

    /// A file a trust check reads (bundle, key, root, artifact); unreadable is a refusal of its own.
    static func read(_ path: String) throws(TrustFailure) -> [UInt8] {
        guard let bytes = try? CLIFile.read(path) else { throw TrustFailure(.unreadableFile, "cannot read \(path)") }
        return bytes
    }

    /// Runs a trust check, turning a `TrustFailure` into its exit status.
    static func run(json: Bool, _ body: () async throws(TrustFailure) -> Void) async throws {
        do {
            try await body()
        } catch {
            throw refuse(error, json: json)
        }
    }
}

/// Ignore paths as model_signing takes them: relative to the working directory when they point
/// inside the model (`./model/ignore-me`), otherwise relative to the model itself.
enum IgnorePaths {
    static func relative(_ paths: [String], to model: String) -> [String] {
        paths.map { inside(model: model, $0) ?? $0 }
    }

    /// `path` relative to the model folder when it lies inside it, else nil.
    static func inside(model: String, _ path: String) -> String? {
        let root = URL(fileURLWithPath: model).standardizedFileURL.path
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return absolute.hasPrefix(root + "/") ? String(absolute.dropFirst(root.count + 1)) : nil
    }
}
