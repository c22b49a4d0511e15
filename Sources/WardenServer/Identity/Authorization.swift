/// Which client may call what, deny by default: a request is allowed only when a rule names
/// its kind of route, its model (when it has one) and a pattern the client's SPIFFE ID matches.
public struct Authorization: Sendable, Equatable {
    /// Routes, grouped as operators think of them.
    public enum RouteClass: String, Sendable, CaseIterable {
        /// OIP v2 infer, KServe v1 predict.
        case infer
        /// Server and model metadata, health and readiness on the serving port.
        case metadata
        /// `/metrics`.
        case metrics
        /// `/openapi.json`.
        case openapi
        /// `/admin/…` (the release plans) and `/v2/logging` (the log level at run time). Granted
        /// only by a rule that names it.
        case admin
        /// Explanations: OIP infer with the `explain` parameter (also an `infer` call), KServe
        /// v1 `:explain`. Granted only by a rule that names it: attributions tell a client how
        /// the model weighs each feature.
        case explain

        /// What a rule without `routes` (or `--allow-client`) grants: everything but admin and explain.
        public static let byDefault = Set(allCases).subtracting([.admin, .explain])

        static func of(route: String) -> RouteClass {
            if route.hasPrefix("/admin/") || route == "/v2/logging" { return .admin }
            if route.hasSuffix(":explain") { return .explain }
            if route.hasSuffix("/infer") || route.hasSuffix(":predict") { return .infer }
            if route == "/metrics" { return .metrics }
            if route == "/openapi.json" { return .openapi }
            return .metadata
        }
    }

    public struct Rule: Sendable, Equatable {
        public var routes: Set<RouteClass>
        /// Model names; empty means every model (and routes without one).
        public var models: Set<String>
        public var allow: [IdentityPattern]

        public init(routes: Set<RouteClass>, models: Set<String> = [], allow: [IdentityPattern]) {
            self.routes = routes
            self.models = models
            self.allow = allow
        }
    }

    public var rules: [Rule]

    public init(rules: [Rule]) {
        self.rules = rules
    }

    public func allows(_ id: SPIFFEID, route: String, model: String?) -> Bool {
        allows(id, routeClass: RouteClass.of(route: route), model: model)
    }

    /// The same rules for a call that names its class itself (gRPC methods).
    public func allows(_ id: SPIFFEID, routeClass: RouteClass, model: String?) -> Bool {
        rules.contains { rule in
            rule.routes.contains(routeClass) && (rule.models.isEmpty || model.map(rule.models.contains) == true)
                && rule.allow.contains { $0.matches(id) }
        }
    }
}
