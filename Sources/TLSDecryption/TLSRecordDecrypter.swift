import Crypto
import Foundation

/// Opens the protected records of one direction under one set of keys, counting their
/// sequence numbers: TLS 1.3 records (RFC 8446 section 5.2), TLS 1.2 AES-GCM records with
/// their explicit nonce (RFC 5288) and TLS 1.2 ChaCha20-Poly1305 records (RFC 7905).
public struct TLSRecordDecrypter {
    private let cipher: TLSCipherSuite.Cipher
    private let key: SymmetricKey
    private let iv: [UInt8]
    private let isTLS13: Bool
    /// The sequence number of the next record.
    public private(set) var sequence: UInt64 = 0

    public init(_ suite: TLSCipherSuite, keys: TLSTrafficKeys) {
        cipher = suite.cipher
        key = SymmetricKey(data: keys.key)
        iv = keys.iv
        isTLS13 = suite.isTLS13
    }

    /// The record's plaintext and true content type (TLS 1.3 hides it inside). Throws when it
    /// fails authentication; its sequence number is used up either way.
    public mutating func open(_ record: TLSRecord) throws(TLSError) -> (contentType: UInt8, plaintext: [UInt8]) {
        defer { sequence &+= 1 }
        let explicitNonce = !isTLS13 && cipher != .chaCha20Poly1305 ? 8 : 0
        guard record.fragment.count >= explicitNonce + 16 else { throw TLSError(description: "shorter than its tag") }
        let sealed = record.fragment[explicitNonce...]
        let ciphertext = sealed.dropLast(16), tag = sealed.suffix(16)
        let nonce: [UInt8]
        if explicitNonce > 0 {
            nonce = iv + record.fragment.prefix(explicitNonce)
        } else {
            nonce = zip(iv, [0, 0, 0, 0] + sequence.bigEndianBytes).map { $0 ^ $1 }
        }
        let additionalData = isTLS13 ? record.header
            : sequence.bigEndianBytes + [record.contentType, UInt8(record.version >> 8), UInt8(record.version & 0xFF),
                                         UInt8(ciphertext.count >> 8), UInt8(ciphertext.count & 0xFF)]
        let opened: Data
        do {
            switch cipher {
            case .aes128GCM, .aes256GCM:
                opened = try AES.GCM.open(AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag),
                                          using: key, authenticating: additionalData)
            case .chaCha20Poly1305:
                opened = try ChaChaPoly.open(ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: ciphertext, tag: tag),
                                             using: key, authenticating: additionalData)
            }
        } catch {
            throw TLSError(description: "failed authentication")
        }
        var plaintext = [UInt8](opened)
        guard isTLS13 else { return (record.contentType, plaintext) }
        // TLSInnerPlaintext: content, the true content type, zero padding.
        while plaintext.last == 0 { plaintext.removeLast() }
        guard let type = plaintext.popLast() else { throw TLSError(description: "has no content type") }
        return (type, plaintext)
    }
}

extension UInt64 {
    /// The eight bytes of the number, most significant first.
    var bigEndianBytes: [UInt8] { withUnsafeBytes(of: bigEndian, Array.init) }
}
