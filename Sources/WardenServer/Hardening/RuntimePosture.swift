import CWardenLinux
import Foundation
import WardenServing

#if canImport(Glibc)
    import Glibc
#endif

/// The process's own security posture, checked from inside at startup: what a restricted
/// pod promises (non-root, no new privileges, no capabilities, a seccomp filter, AppArmor where
/// the kernel has it, read-only root and model files, secrets only in files), verified rather
/// than trusted from the manifest.
public struct RuntimePosture: Sendable {
    public struct Check: Sendable, Equatable {
        /// Stable name, used as the metric label and in the log event.
        public let name: String
        public let passed: Bool
        /// What was found, for the operator: ids, masks, the first writable path.
        public let detail: String
    }

    public let checks: [Check]

    public var failures: [Check] { checks.filter { !$0.passed } }
    public var isHardened: Bool { failures.isEmpty }

    init(checks: [Check]) { self.checks = checks }

    /// Runs every check. Sets `no_new_privs` first: Warden asks for it itself, so it holds even
    /// where the runtime forgot, and then verifies the kernel kept it.
    public static func inspect(modelDirectories: [String], secretsInEnvironment: [String]) -> RuntimePosture {
        let setResult = warden_set_no_new_privs()
        let status = ProcessStatus.current()
        return RuntimePosture(checks: [
            nonRoot(),
            noNewPrivileges(setResult: setResult, reported: warden_get_no_new_privs()),
            noCapabilities(status),
            seccompFilter(status),
            AppArmorConfinement.current().check,
            readOnlyRoot(),
            readOnlyModels(modelDirectories),
            Check(
                name: "no_secrets_in_environment", passed: secretsInEnvironment.isEmpty,
                detail: secretsInEnvironment.isEmpty ? "none" : secretsInEnvironment.joined(separator: ", ")),
        ])
    }

    static func nonRoot() -> Check {
        let ids = "uid=\(getuid()) euid=\(geteuid()) gid=\(getgid())"
        return Check(name: "non_root", passed: getuid() != 0 && geteuid() != 0, detail: ids)
    }

    static func noNewPrivileges(setResult: Int32, reported: Int32) -> Check {
        guard setResult == 0 else { return Check(name: "no_new_privs", passed: false, detail: "prctl(PR_SET_NO_NEW_PRIVS) failed") }
        return Check(name: "no_new_privs", passed: reported == 1, detail: reported == 1 ? "set" : "not set after prctl")
    }

    /// Effective, permitted and ambient sets must all be empty: a permitted capability can be
    /// raised to effective again at any time.
    static func noCapabilities(_ status: ProcessStatus) -> Check {
        guard let effective = status.effectiveCapabilities, let permitted = status.permittedCapabilities else {
            return Check(name: "no_capabilities", passed: false, detail: "capability sets unreadable")
        }
        let ambient = status.ambientCapabilities ?? 0
        let masks = [("CapEff", effective), ("CapPrm", permitted), ("CapAmb", ambient)]
            .map { "\($0.0)=\(String($0.1, radix: 16))" }.joined(separator: " ")
        return Check(name: "no_capabilities", passed: effective | permitted | ambient == 0, detail: masks)
    }

    static func seccompFilter(_ status: ProcessStatus) -> Check {
        switch status.seccompMode {
        case 2?: Check(name: "seccomp", passed: true, detail: "filter")
        case 1?: Check(name: "seccomp", passed: true, detail: "strict")
        case let mode?: Check(name: "seccomp", passed: false, detail: "mode \(mode): no filter")
        case nil: Check(name: "seccomp", passed: false, detail: "seccomp status unreadable")
        }
    }

    static func readOnlyRoot() -> Check {
        let readOnly = isOnReadOnlyMount("/")
        return Check(name: "read_only_root", passed: readOnly, detail: readOnly ? "mounted read-only" : "mounted read-write")
    }

    /// Nothing in a model tree may be writable by this process: access(2) answers for the
    /// mount (EROFS), the mode bits and the process's identity together. A file this user owns
    /// counts as writable unless its mount is read-only: its owner can chmod it back.
    static func readOnlyModels(_ directories: [String]) -> Check {
        var count = 0
        for directory in directories {
            for path in ArtifactGuard.treePaths(directory) {
                count += 1
                if access(path, W_OK) == 0 {
                    return Check(name: "read_only_models", passed: false, detail: "\(path) is writable")
                }
                var status = stat()
                if lstat(path, &status) == 0, status.st_uid == geteuid(), !isOnReadOnlyMount(path) {
                    return Check(
                        name: "read_only_models", passed: false,
                        detail: "\(path) is owned by this user on a writable mount (chmod can undo its mode)")
                }
            }
        }
        return Check(name: "read_only_models", passed: true, detail: "\(count) paths, none writable")
    }

    static func isOnReadOnlyMount(_ path: String) -> Bool {
        var info = statvfs()
        return statvfs(path, &info) == 0 && info.f_flag & UInt(ST_RDONLY) != 0
    }
}
