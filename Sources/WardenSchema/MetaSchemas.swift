import WardenJSON

/// The official meta-schemas built into Warden (draft 2020-12 and 2019-09 with their
/// vocabulary meta-schemas, draft-07), by URI: `$ref` and `$schema` to them resolve offline.
/// The file is written by scripts/generate/meta_schemas.py from PyPI's jsonschema-specifications.
package enum MetaSchemas {
    static let documents: [String: JSONValue] = {
        guard case let .object(members)? = try? JSONParser.parse(PackageResources.meta_schemas_json) else { return [:] }
        return Dictionary(members.map { ($0.key, $0.value) }) { first, _ in first }
    }()

    /// A built-in meta-schema by URI (without a trailing `#`), for other engines in Warden.
    package static func document(_ uri: String) -> JSONValue? { documents[uri] }
}
