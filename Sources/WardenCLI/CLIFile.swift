import ArgumentParser
import Foundation

/// File reading for commands, with errors that name the file.
enum CLIFile {
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return Array(data)
    }
}
