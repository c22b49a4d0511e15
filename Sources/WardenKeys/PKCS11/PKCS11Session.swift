import CPKCS11
import Foundation
import WardenTrust

/// One logged-in session with the token a PKCS#11 URI names. Not thread-safe by itself (the
/// specification forbids concurrent operations on one session): `PKCS11Key` guards it.
final class PKCS11Session {
    let module: PKCS11Module
    let uri: PKCS11URI
    private(set) var handle: warden_ck_ulong = 0
    private var functions: warden_ck_function_list { module.functions.pointee }

    /// Object classes and attributes of the specification that Warden reads.
    enum ObjectClass: warden_ck_ulong {
        case certificate = 1, publicKey = 2, privateKey = 3
    }

    enum Attribute: warden_ck_ulong {
        case objectClass = 0x0, label = 0x3, value = 0x11, keyType = 0x100, id = 0x102, sign = 0x108
        case modulus = 0x120, publicExponent = 0x122, ecParameters = 0x180, ecPoint = 0x181
    }

    init(uri: PKCS11URI) throws(TrustFailure) {
        self.uri = uri
        module = try PKCS11Module.forURI(uri)
        try open()
    }

    deinit {
        _ = functions.C_CloseSession?(handle)
    }

    /// Opens a read-only session on the token and logs in when the URI names a PIN file.
    func open() throws(TrustFailure) {
        let slot = try findSlot()
        var session: warden_ck_ulong = 0
        // CKF_SERIAL_SESSION, read-only: Warden never writes to the token.
        try check(functions.C_OpenSession?(slot, 0x4, nil, nil, &session), "C_OpenSession")
        handle = session
        if let pinFile = uri.pinSource {
            var pin = try Self.readPIN(pinFile)
            let result = functions.C_Login?(handle, 1, &pin, warden_ck_ulong(pin.count)) ?? 0x6
            // Zero it: the PIN should not outlive the login in Warden's memory.
            for index in pin.indices { pin[index] = 0 }
            // Another key on the same token logged this application in already.
            guard result == 0 || result == 0x100 else {
                _ = functions.C_CloseSession?(handle)
                throw PKCS11Error.failure(result, in: "C_Login", at: uri.location)
            }
        }
    }

    /// The single object of `objectClass` that the URI's label and id select, or nil.
    func findObject(_ objectClass: ObjectClass) throws(TrustFailure) -> warden_ck_ulong? {
        // The template points into these buffers, which live until the search is over.
        let classValue = Self.buffer(withUnsafeBytes(of: objectClass.rawValue) { Array($0) })
        let label = Self.buffer(Array((uri.object ?? "").utf8))
        let id = Self.buffer(uri.id ?? [])
        defer { [classValue, label, id].forEach { $0.deallocate() } }
        var template = [
            warden_ck_attribute(
                type: Attribute.objectClass.rawValue, value: classValue.baseAddress, value_length: warden_ck_ulong(classValue.count))
        ]
        if uri.object != nil {
            template.append(
                warden_ck_attribute(type: Attribute.label.rawValue, value: label.baseAddress, value_length: warden_ck_ulong(label.count)))
        }
        if uri.id != nil {
            template.append(
                warden_ck_attribute(type: Attribute.id.rawValue, value: id.baseAddress, value_length: warden_ck_ulong(id.count)))
        }
        let found = try search(template)
        guard found.count <= 1 else {
            throw TrustFailure(.keyNotFound, "\(uri.location): \(found.count) objects match; add id= or object= to pick one")
        }
        return found.first
    }

    /// A heap copy of `bytes` the token may read (one byte at least, so the address is real).
    private static func buffer(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        buffer.copyBytes(from: bytes)
        return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count])
    }

    private func search(_ template: [warden_ck_attribute]) throws(TrustFailure) -> [warden_ck_ulong] {
        var template = template
        try check(functions.C_FindObjectsInit?(handle, &template, warden_ck_ulong(template.count)), "C_FindObjectsInit")
        defer { _ = functions.C_FindObjectsFinal?(handle) }
        var objects = [warden_ck_ulong](repeating: 0, count: 4)
        var count: warden_ck_ulong = 0
        try check(functions.C_FindObjects?(handle, &objects, warden_ck_ulong(objects.count), &count), "C_FindObjects")
        return Array(objects.prefix(Int(count)))
    }

    /// One attribute's value: asked for its length first, then read.
    func attribute(_ attribute: Attribute, of object: warden_ck_ulong) throws(TrustFailure) -> [UInt8] {
        var probe = warden_ck_attribute(type: attribute.rawValue, value: nil, value_length: 0)
        try check(functions.C_GetAttributeValue?(handle, object, &probe, 1), "C_GetAttributeValue")
        // CK_UNAVAILABLE_INFORMATION is all ones; anything near it is not a real length.
        guard probe.value_length < 1 << 20 else {
            throw TrustFailure(.unsupportedKey, "\(uri.location): attribute 0x\(String(attribute.rawValue, radix: 16)) is not readable")
        }
        let buffer = Self.buffer([UInt8](repeating: 0, count: Int(probe.value_length)))
        defer { buffer.deallocate() }
        var read = warden_ck_attribute(type: attribute.rawValue, value: buffer.baseAddress, value_length: warden_ck_ulong(buffer.count))
        try check(functions.C_GetAttributeValue?(handle, object, &read, 1), "C_GetAttributeValue")
        return Array(buffer.prefix(Int(read.value_length)))
    }

    /// C_SignInit and C_Sign with `mechanism` over `data`; the signature's length is asked first.
    func sign(_ data: [UInt8], key: warden_ck_ulong, mechanism: PKCS11Mechanism) throws(TrustFailure) -> [UInt8] {
        var data = data
        return try mechanism.withUnsafeMechanism { pointer throws(TrustFailure) in
            try check(functions.C_SignInit?(handle, pointer, key), "C_SignInit")
            var length: warden_ck_ulong = 0
            try check(functions.C_Sign?(handle, &data, warden_ck_ulong(data.count), nil, &length), "C_Sign")
            var signature = [UInt8](repeating: 0, count: Int(length))
            try check(functions.C_Sign?(handle, &data, warden_ck_ulong(data.count), &signature, &length), "C_Sign")
            return Array(signature.prefix(Int(length)))
        }
    }

    private func findSlot() throws(TrustFailure) -> warden_ck_ulong {
        var count: warden_ck_ulong = 0
        try check(functions.C_GetSlotList?(1, nil, &count), "C_GetSlotList")
        var slots = [warden_ck_ulong](repeating: 0, count: Int(count))
        try check(functions.C_GetSlotList?(1, &slots, &count), "C_GetSlotList")
        slots = Array(slots.prefix(Int(count)))
        if let wanted = uri.slotID {
            guard slots.contains(warden_ck_ulong(wanted)) else {
                throw TrustFailure(.keyStoreUnavailable, "\(uri.location): no token is present in slot \(wanted) of \(module.path)")
            }
            return warden_ck_ulong(wanted)
        }
        var matching: [warden_ck_ulong] = []
        for slot in slots {
            var info = warden_ck_token_info()
            guard functions.C_GetTokenInfo?(slot, &info) == 0 else { continue }
            if let token = uri.token, Self.text(info.label) != token { continue }
            if let manufacturer = uri.manufacturer, Self.text(info.manufacturer_id) != manufacturer { continue }
            if let model = uri.model, Self.text(info.model) != model { continue }
            if let serial = uri.serial, Self.text(info.serial_number) != serial { continue }
            matching.append(slot)
        }
        guard let slot = matching.first else {
            throw TrustFailure(
                .keyStoreUnavailable, "\(uri.location): no such token is present in \(module.path) (\(slots.count) tokens present)")
        }
        guard matching.count == 1 else {
            throw TrustFailure(.keyStoreUnavailable, "\(uri.location): \(matching.count) tokens match; name one with token= or slot-id=")
        }
        return slot
    }

    /// A blank-padded CK_UTF8CHAR field, without its padding.
    private static func text<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { bytes in
            String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        }
    }

    private static func readPIN(_ path: String) throws(TrustFailure) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrustFailure(.keyStoreRefused, "cannot read the PKCS#11 PIN file \(path)")
        }
        // A trailing newline is how editors and Vault templates end a file, not part of the PIN.
        var pin = [UInt8](data)
        while let last = pin.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { pin.removeLast() }
        guard !pin.isEmpty else { throw TrustFailure(.keyStoreRefused, "the PKCS#11 PIN file \(path) is empty") }
        return pin
    }

    private func check(_ result: warden_ck_ulong?, _ call: String) throws(TrustFailure) {
        // A module whose table lacks the entry behaves as CKR_FUNCTION_FAILED.
        let value = result ?? 0x6
        guard value == 0 else { throw PKCS11Error.failure(UInt(value), in: call, at: uri.location) }
    }
}
