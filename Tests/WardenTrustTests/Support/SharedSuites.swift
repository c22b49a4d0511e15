import Foundation
import Testing

/// The external suites in `../shared/suites/`, read in place. On a machine without them the
/// tests that need them are skipped, except under CI, where a missing suite is a failure: a
/// suite that silently did not run proves nothing.
enum SharedSuites {
    /// `$WARDEN_SHARED_SUITES`, else `shared/suites` beside the repository or beside any folder
    /// above it, else the workplace's `/work/shared/suites` (CI may clone the repository
    /// elsewhere on the same machine).
    static let root: URL = {
        if let path = ProcessInfo.processInfo.environment["WARDEN_SHARED_SUITES"] { return URL(fileURLWithPath: path) }
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.deletingLastPathComponent().appendingPathComponent("shared/suites")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "/work/shared/suites")
    }()

    static var isAvailable: Bool { FileManager.default.fileExists(atPath: root.path) }

    static var mustRun: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// True when tests that need the suites should run; records a failure when CI lacks them.
    static func available() -> Bool {
        if isAvailable { return true }
        if mustRun { Issue.record("../shared/suites is missing, and CI=true requires it") }
        return false
    }

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func text(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }

    static func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative)))) }
}

/// A scratch directory removed when the test ends.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "warden-trust-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Copies a shared vector folder here (writable), returning the copy's path.
    func copy(_ source: String, as name: String) throws -> String {
        let target = path + "/" + name
        try FileManager.default.copyItem(atPath: source, toPath: target)
        try makeWritable(target)
        return target
    }

    func write(_ relative: String, _ contents: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
    }

    private func makeWritable(_ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        for entry in FileManager.default.enumerator(atPath: path)?.compactMap({ $0 as? String }) ?? [] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path + "/" + entry)
        }
    }
}
