import Testing
import TLSDecryption

@Suite struct KeyScheduleTests {
    private let aes128 = TLSCipherSuite(id: 0x1301)!

    /// RFC 8448 section 3: the write keys and IVs of the four traffic secrets.
    @Test func tls13TrafficKeysAreThoseOfRFC8448() {
        let expected: [([UInt8], String, String)] = [
            (RFC8448.serverHandshakeTrafficSecret, "3fce516009c21727d0f2e4e86ee403bc", "5d313eb2671276ee13000b30"),
            (RFC8448.clientHandshakeTrafficSecret, "dbfaa693d1762c5b666af5d950258d01", "5bd3c71b836e0b76bb73265f"),
            (RFC8448.serverApplicationTrafficSecret, "9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984"),
            (RFC8448.clientApplicationTrafficSecret, "17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9"),
        ]
        for (secret, key, iv) in expected {
            let keys = TLSKeySchedule.trafficKeys(aes128, secret: secret)
            #expect(hex(keys.key) == key)
            #expect(hex(keys.iv) == iv)
        }
    }

    /// The secret after a KeyUpdate (HKDF-Expand-Label "traffic upd"), as OpenSSL's TLS13-KDF
    /// derives it from RFC 8448's client application traffic secret.
    @Test func theSecretAfterAKeyUpdateIsOpenSSLs() {
        let next = TLSKeySchedule.nextTrafficSecret(.sha256, secret: RFC8448.clientApplicationTrafficSecret)
        #expect(hex(next) == "fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207")
    }

    /// The TLS 1.2 PRF test vectors published for SHA-256 and SHA-384 (the same as OpenSSL's
    /// TLS1-PRF gives for these inputs).
    @Test func tls12PRFMatchesTheKnownAnswers() {
        let sha256 = TLSKeySchedule.prf(.sha256, secret: bytes("9bbe436ba940f017b17652849a71db35"), label: "test label",
                                        seed: bytes("a0ba9f936cda311827a6f796ffd5198c"), length: 100)
        #expect(hex(sha256) == """
            e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc\
            91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66
            """)
        let sha384 = TLSKeySchedule.prf(.sha384, secret: bytes("b80b733d6ceefcdc71566ea48e5567df"), label: "test label",
                                        seed: bytes("cd665cf6a8447dd6ff8b27555edb7465"), length: 148)
        #expect(hex(sha384) == """
            7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa\
            961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a2\
            6854308d5eaa3be85e0990703d73e56f
            """)
    }

    /// RFC 8448's encrypted server flight opens with the server handshake keys into
    /// EncryptedExtensions … Finished; a flipped bit fails authentication.
    @Test func rfc8448sServerFlightOpensAndATamperedOneDoesNot() throws {
        let record = TLSRecord(contentType: 23, version: 0x0303, fragment: Array(RFC8448.serverHandshakeRecord.dropFirst(5)))
        var decrypter = TLSRecordDecrypter(aes128, keys: TLSKeySchedule.trafficKeys(aes128, secret: RFC8448.serverHandshakeTrafficSecret))
        let (type, plaintext) = try decrypter.open(record)
        #expect(type == 22)
        #expect(plaintext.starts(with: bytes("080000240022000a0014")))
        #expect(Array(plaintext.suffix(RFC8448.serverFinished.count)) == RFC8448.serverFinished)
        #expect(decrypter.sequence == 1)

        var tampered = record
        tampered.fragment[100] ^= 1
        var fresh = TLSRecordDecrypter(aes128, keys: TLSKeySchedule.trafficKeys(aes128, secret: RFC8448.serverHandshakeTrafficSecret))
        #expect(throws: TLSError.self) { try fresh.open(tampered) }
    }
}
