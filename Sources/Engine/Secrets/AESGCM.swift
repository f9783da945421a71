import CCrypto

/// AES-256-GCM through OpenSSL's EVP interface: the few calls the secret sealer needs, with
/// typed results. Keys are 32 bytes, nonces 12, tags 16.
enum AESGCM {
    enum Failure: Error, Equatable {
        /// The tag did not verify: another key, other associated data, or damaged bytes.
        case authentication
        /// OpenSSL refused a call (named), which is not about the data.
        case library(String)
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    static func randomBytes(_ count: Int) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard status == 1 else { throw .library("RAND_bytes") }
        return bytes
    }

    /// Ciphertext and tag of `plaintext`.
    static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]) throws(Failure) -> (ciphertext: [UInt8], tag: [UInt8]) {
        let context = try Context()
        try context.check(EVP_EncryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil), "EVP_EncryptInit_ex")
        try context.check(EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil), "set the nonce length")
        try context.check(EVP_EncryptInit_ex(context.pointer, nil, nil, key, nonce), "EVP_EncryptInit_ex (key)")
        var length: Int32 = 0
        try context.check(EVP_EncryptUpdate(context.pointer, nil, &length, associatedData, Int32(associatedData.count)), "associated data")
        // GCM is a stream mode: the ciphertext is as long as the plaintext (+1 keeps the pointer valid when empty).
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 1)
        try context.check(EVP_EncryptUpdate(context.pointer, &ciphertext, &length, plaintext, Int32(plaintext.count)), "EVP_EncryptUpdate")
        var total = Int(length)
        try ciphertext.withUnsafeMutableBufferPointer { (buffer) throws(Failure) in
            try context.check(EVP_EncryptFinal_ex(context.pointer, buffer.baseAddress! + total, &length), "EVP_EncryptFinal_ex")
        }
        total += Int(length)
        var tag = [UInt8](repeating: 0, count: SealedSecretFormat.tagLength)
        try context.check(EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tag.count), &tag), "get the tag")
        return (Array(ciphertext.prefix(total)), tag)
    }

    /// The plaintext, or ``Failure/authentication`` when the tag does not verify.
    static func open(_ ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]) throws(Failure) -> [UInt8] {
        let context = try Context()
        try context.check(EVP_DecryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil), "EVP_DecryptInit_ex")
        try context.check(EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil), "set the nonce length")
        try context.check(EVP_DecryptInit_ex(context.pointer, nil, nil, key, nonce), "EVP_DecryptInit_ex (key)")
        var length: Int32 = 0
        try context.check(EVP_DecryptUpdate(context.pointer, nil, &length, associatedData, Int32(associatedData.count)), "associated data")
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 1)
        try context.check(EVP_DecryptUpdate(context.pointer, &plaintext, &length, ciphertext, Int32(ciphertext.count)), "EVP_DecryptUpdate")
        var total = Int(length)
        var expected = tag
        try context.check(EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(expected.count), &expected), "set the tag")
        let verified = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context.pointer, buffer.baseAddress! + total, &length)
        }
        guard verified > 0 else { throw .authentication }
        total += Int(length)
        return Array(plaintext.prefix(total))
    }

    /// One EVP cipher context, freed when the value goes.
    private final class Context {
        let pointer: OpaquePointer

        init() throws(Failure) {
            guard let pointer = EVP_CIPHER_CTX_new() else { throw .library("EVP_CIPHER_CTX_new") }
            self.pointer = pointer
        }

        deinit { EVP_CIPHER_CTX_free(pointer) }

        func check(_ status: Int32, _ call: String) throws(Failure) {
            guard status == 1 else { throw .library(call) }
        }
    }
}
