/// A configuration file that cannot be used, with the key path that is wrong.
package struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    package let description: String
    package init(_ description: String) { self.description = description }
}
