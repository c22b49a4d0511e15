/// Vulnerability severity, in the order scanners (Trivy, Grype, CVSS bands) use.
public enum Severity: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case unknown, negligible, low, medium, high, critical

    public init?(_ text: String) {
        switch text.lowercased() {
        case "unknown": self = .unknown
        case "negligible": self = .negligible
        case "low": self = .low
        case "medium", "moderate": self = .medium
        case "high": self = .high
        case "critical": self = .critical
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .negligible: "negligible"
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        case .critical: "critical"
        }
    }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
}
