import CPKCS11
import Foundation
import Synchronization
import WardenTrust

/// A PKCS#11 module loaded with dlopen and initialized once for the whole process: the
/// specification allows one C_Initialize per process, and Warden may open several keys from
/// the same module. Never unloaded: sessions and keys hold its function pointers.
final class PKCS11Module: Sendable {
    let path: String
    /// The module's function table; the module keeps it alive as long as it is loaded.
    nonisolated(unsafe) let functions: UnsafeMutablePointer<warden_ck_function_list>

    private init(path: String, functions: UnsafeMutablePointer<warden_ck_function_list>) {
        self.path = path
        self.functions = functions
    }

    private static let loaded = Mutex<[String: PKCS11Module]>([:])

    /// The module for `uri`: `module-path`, or `module-name` looked up in the usual folders.
    static func forURI(_ uri: PKCS11URI) throws(TrustFailure) -> PKCS11Module {
        let path = try modulePath(uri)
        return try loaded.withLock { modules throws(TrustFailure) in
            if let module = modules[path] { return module }
            let module = try load(path)
            modules[path] = module
            return module
        }
    }

    /// Where distributions install PKCS#11 modules, searched for `module-name`.
    static let moduleFolders = [
        "/usr/lib/x86_64-linux-gnu/pkcs11", "/usr/lib/aarch64-linux-gnu/pkcs11", "/usr/lib64/pkcs11", "/usr/lib/pkcs11", "/usr/lib/softhsm",
    ]

    private static func modulePath(_ uri: PKCS11URI) throws(TrustFailure) -> String {
        if let path = uri.modulePath { return path }
        let name = uri.moduleName ?? ""
        guard !name.contains("/") else { throw TrustFailure(.malformedKey, "PKCS#11 URI: module-name must be a bare name, not a path") }
        let candidates = moduleFolders.flatMap { ["\($0)/\(name).so", "\($0)/lib\(name).so"] }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw TrustFailure(
                .keyStoreUnavailable, "PKCS#11 module \(name) is not installed (looked in \(moduleFolders.joined(separator: ", ")))")
        }
        return found
    }

    private static func load(_ path: String) throws(TrustFailure) -> PKCS11Module {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrustFailure(.keyStoreUnavailable, "PKCS#11 module \(path) does not exist")
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw TrustFailure(.keyStoreUnavailable, "cannot load PKCS#11 module \(path): \(reason)")
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            dlclose(handle)
            throw TrustFailure(.keyStoreUnavailable, "\(path) is not a PKCS#11 module (no C_GetFunctionList)")
        }
        let getFunctionList = unsafeBitCast(symbol, to: warden_ck_get_function_list.self)
        var list: UnsafeMutablePointer<warden_ck_function_list>?
        let listed = getFunctionList(&list)
        guard listed == 0, let list else {
            throw PKCS11Error.failure(listed, in: "C_GetFunctionList", at: path)
        }
        guard list.pointee.version.major == 2 || list.pointee.version.major == 3 else {
            throw TrustFailure(.keyStoreUnavailable, "\(path) implements PKCS#11 \(list.pointee.version.major).x; Warden speaks 2.x")
        }
        // The module's own OS locking: Warden's threads may call it concurrently for different keys.
        var arguments = warden_ck_initialize_args(
            create_mutex: nil, destroy_mutex: nil, lock_mutex: nil, unlock_mutex: nil, flags: 0x2, reserved: nil)
        let initialized = list.pointee.C_Initialize(&arguments)
        // Another library in the process (or a previous load) may have initialized it already.
        guard initialized == 0 || initialized == 0x191 else {
            throw PKCS11Error.failure(initialized, in: "C_Initialize", at: path)
        }
        return PKCS11Module(path: path, functions: list)
    }
}
