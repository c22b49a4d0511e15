/// Every builtin Warden's Rego evaluator offers, by name.
enum Builtins {
    static let table: [String: Builtin] = {
        var table: [String: Builtin] = [:]
        for group in [
            numberBuiltins, aggregateBuiltins, stringBuiltins, regexBuiltins, collectionBuiltins, typeBuiltins, encodingBuiltins,
            timeBuiltins, miscBuiltins, moreBuiltins, documentBuiltins, templateBuiltins,
        ] {
            table.merge(group) { first, _ in first }
        }
        return table
    }()

    static func fixed(_ arity: Int, _ body: @escaping @Sendable ([Value]) throws -> Value?) -> Builtin {
        Builtin(arity: arity) { args, _ in try body(args) }
    }
}
