import Foundation

/// This process's AppArmor confinement, as the kernel reports it: whether AppArmor is enabled
/// (`/sys/module/apparmor/parameters/enabled`) and the label this process runs under
/// (`/proc/self/attr/apparmor/current`, or the older `/proc/self/attr/current`).
struct AppArmorConfinement: Equatable {
    /// The module's `enabled` parameter ("Y"), nil where the kernel has no AppArmor.
    var enabled: String?
    /// "unconfined", or "PROFILE (MODE)".
    var label: String?

    static func current() -> AppArmorConfinement {
        func read(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines.union(["\0"]))
        }
        return AppArmorConfinement(
            enabled: read("/sys/module/apparmor/parameters/enabled"),
            label: read("/proc/self/attr/apparmor/current") ?? read("/proc/self/attr/current"))
    }

    /// Where the kernel enforces AppArmor, a profile in enforce mode must confine this process;
    /// unconfined or complain mode (which only logs) is a failure. Without AppArmor in the
    /// kernel there is nothing to require (seccomp and the other checks still apply).
    var check: RuntimePosture.Check {
        guard enabled == "Y" else {
            return RuntimePosture.Check(name: "apparmor", passed: true, detail: "AppArmor is not enabled in this kernel")
        }
        guard let label, !label.isEmpty else {
            return RuntimePosture.Check(name: "apparmor", passed: false, detail: "the AppArmor label is unreadable")
        }
        let enforced = label.hasSuffix(" (enforce)") || label.hasSuffix(" (kill)")
        return RuntimePosture.Check(
            name: "apparmor", passed: enforced, detail: enforced ? label : "\(label): not confined by an enforcing profile")
    }
}
