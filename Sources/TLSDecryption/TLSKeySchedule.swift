import Crypto

/// The write key and IV of one direction.
public struct TLSTrafficKeys: Sendable, Hashable {
    public var key: [UInt8]
    /// TLS 1.3 and ChaCha20-Poly1305: the 12-byte IV the sequence number is XORed into;
    /// TLS 1.2 AES-GCM: the 4-byte implicit part of the nonce.
    public var iv: [UInt8]

    public init(key: [UInt8], iv: [UInt8]) {
        self.key = key
        self.iv = iv
    }
}

/// The key derivations needed to decrypt with logged secrets: the TLS 1.2 PRF and key block
/// (RFC 5246 sections 5 and 6.3) and the TLS 1.3 traffic keys and key updates (RFC 8446
/// section 7).
public enum TLSKeySchedule {
    /// TLS 1.2's PRF: P_hash(secret, label + seed) cut to `length` bytes.
    public static func prf(_ hash: TLSCipherSuite.Hash, secret: [UInt8], label: String, seed: [UInt8], length: Int) -> [UInt8] {
        let key = SymmetricKey(data: secret)
        let labelAndSeed = Array(label.utf8) + seed
        var output: [UInt8] = []
        var a = labelAndSeed  // A(0)
        while output.count < length {
            a = hmac(hash, key: key, a)
            output += hmac(hash, key: key, a + labelAndSeed)
        }
        return Array(output.prefix(length))
    }

    /// TLS 1.2: the client's and the server's write keys from the master secret. AEAD suites
    /// have no MAC keys; AES-GCM takes a 4-byte implicit IV, ChaCha20-Poly1305 a 12-byte one.
    public static func keyBlock(_ suite: TLSCipherSuite, masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8])
        -> (client: TLSTrafficKeys, server: TLSTrafficKeys) {
        let keyLength = suite.keyLength, ivLength = suite.cipher == .chaCha20Poly1305 ? 12 : 4
        let block = prf(suite.hash, secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom,
                        length: 2 * (keyLength + ivLength))
        let ivs = block[(2 * keyLength)...]
        return (TLSTrafficKeys(key: Array(block[0..<keyLength]), iv: Array(ivs.prefix(ivLength))),
                TLSTrafficKeys(key: Array(block[keyLength..<2 * keyLength]), iv: Array(ivs.dropFirst(ivLength))))
    }

    /// HKDF-Expand-Label(secret, label, context, length) of TLS 1.3.
    public static func expandLabel(_ hash: TLSCipherSuite.Hash, secret: [UInt8], label: String, context: [UInt8] = [], length: Int) -> [UInt8] {
        let fullLabel = Array("tls13 \(label)".utf8)
        let info = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)] + fullLabel + [UInt8(context.count)] + context
        let key = SymmetricKey(data: secret)
        let output = switch hash {
        case .sha256: HKDF<SHA256>.expand(pseudoRandomKey: key, info: info, outputByteCount: length)
        case .sha384: HKDF<SHA384>.expand(pseudoRandomKey: key, info: info, outputByteCount: length)
        }
        return output.withUnsafeBytes { Array($0) }
    }

    /// TLS 1.3: the write key and IV of a traffic secret.
    public static func trafficKeys(_ suite: TLSCipherSuite, secret: [UInt8]) -> TLSTrafficKeys {
        TLSTrafficKeys(key: expandLabel(suite.hash, secret: secret, label: "key", length: suite.keyLength),
                       iv: expandLabel(suite.hash, secret: secret, label: "iv", length: 12))
    }

    /// TLS 1.3: the traffic secret that follows `secret` after a KeyUpdate.
    public static func nextTrafficSecret(_ hash: TLSCipherSuite.Hash, secret: [UInt8]) -> [UInt8] {
        expandLabel(hash, secret: secret, label: "traffic upd", length: secret.count)
    }

    private static func hmac(_ hash: TLSCipherSuite.Hash, key: SymmetricKey, _ data: [UInt8]) -> [UInt8] {
        switch hash {
        case .sha256: Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .sha384: Array(HMAC<SHA384>.authenticationCode(for: data, using: key))
        }
    }
}
