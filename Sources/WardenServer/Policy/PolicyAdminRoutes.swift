import Foundation
import Hummingbird
import WardenJSON
import WardenServing

/// `GET /admin/policies` (route class `admin`): which request policy this replica enforces —
/// the signed bundle's revision, digest, signer and age, or the files it reads — and how the
/// last poll went. Asked of every replica, it shows whether a rollout has reached them all.
struct PolicyAdminRoutes {
    let policy: RequestPolicy?
    let watch: PolicyBundleWatch?
    static let replica = ProcessInfo.processInfo.hostName

    func register(on router: Router<WardenRequestContext>) {
        router.get("/admin/policies") { _, context in JSONResponse.make(snapshot(now: Date()), context) }
        MethodNotAllowed.register("/admin/policies", allowing: [.get], on: router)
    }

    func snapshot(now: Date) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("replica", .string(Self.replica))]
        guard let policy else { return .object(members + [("source", .string("none"))]) }
        if let source = policy.source {
            members += [
                ("source", .string("files")), ("files", .array((source.files + source.dataFiles).map(JSONValue.string))),
                ("reloads", .integer(Int64(policy.reloadCount))), ("reload_failures", .integer(Int64(policy.reloadFailures))),
            ]
            return .object(members)
        }
        members.append(("source", .string("bundle")))
        guard let watch else { return .object(members) }
        let status = watch.snapshot
        var bundle: [(key: String, value: JSONValue)] = [("reference", .string(watch.settings.reference))]
        if let manifest = status.manifest, let digest = status.digest {
            bundle += [
                ("revision", .integer(manifest.revision)), ("digest", .string(digest.description)),
                ("signer", .string(status.signer ?? "")), ("roots", .array(manifest.roots.map(JSONValue.string))),
                ("issued_at", .string(manifest.issuedAt.ISO8601Format())),
                ("age_seconds", .number(now.timeIntervalSince(manifest.issuedAt))),
            ]
            if let maxAge = watch.maxAge(manifest) {
                bundle.append(("max_age_seconds", .number(maxAge.seconds)))
            }
            if let activated = status.activatedAt { bundle.append(("activated_at", .string(activated.ISO8601Format()))) }
        }
        bundle.append(("stale", .bool(policy.isStale)))
        if let checked = status.lastCheckAt { bundle.append(("last_check_at", .string(checked.ISO8601Format()))) }
        if let result = status.lastResult { bundle.append(("last_result", .string(result))) }
        if let failure = status.lastFailure { bundle.append(("last_failure", .string(failure))) }
        return .object(members + [("bundle", .object(bundle))])
    }
}
