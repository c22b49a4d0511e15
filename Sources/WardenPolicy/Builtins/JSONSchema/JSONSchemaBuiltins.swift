import WardenSchema

/// `json.match_schema` and `json.verify_schema` as OPA answers them: gojsonschema's errors,
/// word for word (GoSchemaParser, GoSchemaValidator). Each argument is a JSON string or a
/// value; a remote `$ref` is refused, since policies are evaluated offline.
extension Builtins {
    static let jsonSchemaBuiltins: [String: Builtin] = [
        "json.match_schema": Builtin(arity: 2) { args, context in
            do {
                let document = try loaded(args[0], context)
                let schema = try GoSchemaParser.parse(try loaded(args[1], context))
                let result = try GoSchemaValidator.validate(document, schema)
                return .array([.bool(result.isValid), .array(result.errors)])
            } catch let failure as GoSchemaError {
                throw BuiltinError(message: failure.message)
            }
        },
        "json.verify_schema": Builtin(arity: 1) { args, context in
            do {
                _ = try GoSchemaParser.parse(try loaded(args[0], context))
                return .array([.bool(true), .null])
            } catch let failure as GoSchemaError {
                return .array([.bool(false), .string("jsonschema: \(failure.message)")])
            }
        },
    ]

    /// An argument as gojsonschema loads it: a string is JSON text, an object or array is used
    /// as it is; anything else is refused (by OPA's type checker when it is a constant).
    private static func loaded(_ argument: Value, _ context: BuiltinContext) throws -> Value {
        switch argument {
        case let .string(text):
            guard let value = GoJSONDocument.parse(text) else { throw GoSchemaError(message: "invalid JSON string") }
            return value
        case .object: return jsonShaped(argument)
        case .array where !context.isTypeCheck: return jsonShaped(argument)
        default:
            if context.isTypeCheck { throw BuiltinError(message: "invalid argument(s)", isTypeError: true) }
            throw GoSchemaError(message: "wrong type, expected string or object")
        }
    }

    /// A value as OPA's `ast.JSON` gives it: sets become arrays, other keys their JSON text.
    private static func jsonShaped(_ value: Value) -> Value {
        switch value {
        case let .array(items), let .set(items): return .array(items.map(jsonShaped))
        case let .object(pairs):
            return .makeObject(pairs.map { pair in (pair.key.isString ? pair.key : .string(pair.key.description), jsonShaped(pair.value)) })
        default: return value
        }
    }
}

/// The meta-schemas OPA resolves without the network. Warden carries draft-07's (the one
/// WardenSchema builds in); a `$ref` to draft 4's or 6's is refused like any remote one.
enum GoMetaSchemas {
    static func document(_ uri: String) -> Value? {
        guard uri == "http://json-schema.org/draft-07/schema", let document = MetaSchemas.document(uri) else { return nil }
        return Value(json: document)
    }
}
