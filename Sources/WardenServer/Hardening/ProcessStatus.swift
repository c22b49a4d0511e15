import Foundation

/// The security fields of `/proc/self/status`: what the kernel says this process may do,
/// whatever the manifest that started it claims.
struct ProcessStatus: Equatable {
    /// Capability sets as the kernel prints them (hex bit masks).
    var effectiveCapabilities: UInt64?
    var permittedCapabilities: UInt64?
    var ambientCapabilities: UInt64?
    /// 0 none, 1 strict, 2 filter (a seccomp-bpf profile such as RuntimeDefault).
    var seccompMode: Int?
    var noNewPrivileges: Bool?

    init(statusText text: String) {
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch line[..<colon] {
            case "CapEff": effectiveCapabilities = UInt64(value, radix: 16)
            case "CapPrm": permittedCapabilities = UInt64(value, radix: 16)
            case "CapAmb": ambientCapabilities = UInt64(value, radix: 16)
            case "Seccomp": seccompMode = Int(value)
            case "NoNewPrivs": noNewPrivileges = value == "1"
            default: continue
            }
        }
    }

    /// This process's status; empty (every field nil) where there is no procfs.
    static func current() -> ProcessStatus {
        ProcessStatus(statusText: (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? "")
    }
}
