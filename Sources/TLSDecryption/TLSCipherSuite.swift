/// A cipher suite this package decrypts: an AEAD cipher and the hash of its key schedule.
public struct TLSCipherSuite: Sendable, Hashable {
    public enum Cipher: Sendable, Hashable {
        case aes128GCM, aes256GCM, chaCha20Poly1305
    }

    public enum Hash: Sendable, Hashable {
        case sha256, sha384
    }

    public let id: UInt16
    public let cipher: Cipher
    public let hash: Hash
    /// Whether it is a TLS 1.3 suite (TLS 1.2 suites name a key exchange too).
    public let isTLS13: Bool

    /// The key length of the cipher.
    var keyLength: Int { cipher == .aes128GCM ? 16 : 32 }

    /// The suite's IANA name, e.g. `TLS_AES_128_GCM_SHA256`.
    public var name: String { Self.name(of: id) }

    /// The supported suite `id` (an AES-GCM or ChaCha20-Poly1305 suite), nil for any other.
    public init?(id: UInt16) {
        guard let name = Self.names[id] else { return nil }
        if name.contains("_AES_128_GCM_") {
            cipher = .aes128GCM
        } else if name.contains("_AES_256_GCM_") {
            cipher = .aes256GCM
        } else if name.contains("_CHACHA20_POLY1305_") {
            cipher = .chaCha20Poly1305
        } else {
            return nil
        }
        self.id = id
        hash = name.hasSuffix("_SHA384") ? .sha384 : .sha256
        isTLS13 = id >> 8 == 0x13
    }

    /// The IANA name of suite `id` when known (supported or common), else its number.
    public static func name(of id: UInt16) -> String {
        let hex = "0x" + String(id, radix: 16, uppercase: true).leftPadded(to: 4)
        return names[id].map { "\($0) (\(hex))" } ?? "cipher suite \(hex)"
    }

    private static let names: [UInt16: String] = [
        0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256",
        0x1304: "TLS_AES_128_CCM_SHA256", 0x1305: "TLS_AES_128_CCM_8_SHA256",
        0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCAA: "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xC024: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0xC0AC: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", 0xC0AD: "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    ]
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
