/// OPA's YAML builtins, answering as OPA does: go-yaml v2's YAML 1.1 reading and writing
/// (GoYAMLReader, GoYAMLWriter), of the first document only.
extension Builtins {
    static let yamlBuiltins: [String: Builtin] = [
        "yaml.unmarshal": fixed(1) { args in
            do {
                return try GoYAMLReader.value(try args.string(0))
            } catch let failure as GoYAMLReader.Failure {
                throw BuiltinError(message: failure.message)
            }
        },
        "yaml.marshal": fixed(1) { args in
            do {
                return .string(try GoYAMLWriter.yaml(args[0]))
            } catch let failure as GoYAMLWriter.Failure {
                throw BuiltinError(message: failure.message)
            }
        },
        "yaml.is_valid": Builtin(arity: 1) { args, context in
            // A value that is not a string is no YAML (false); only a constant one is a type error.
            guard case let .string(text) = args[0] else {
                if context.isTypeCheck { throw BuiltinError.operand(1, "string", args[0]) }
                return .bool(false)
            }
            return .bool((try? GoYAMLReader.value(text)) != nil)
        },
    ]
}
