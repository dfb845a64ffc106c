import Testing
import TLSDecryption

@Suite struct KeyLogTests {
    @Test func theSecretsOfEachClientRandomAreKeptAndOtherLabelsIgnored() {
        let random = String(repeating: "ab", count: 32), master = String(repeating: "01", count: 48)
        let log = KeyLog(parsing: """
            # written by a browser
            CLIENT_RANDOM \(random) \(master)

            CLIENT_EARLY_TRAFFIC_SECRET \(random) \(String(repeating: "02", count: 32))
            EXPORTER_SECRET \(random) \(String(repeating: "03", count: 32))\r
            \(RFC8448.keyLog)
            """)
        #expect(log.problems == [])
        #expect(log.count == 2)
        #expect(log[bytes(random)]?.masterSecret == bytes(master))
        #expect(log[bytes(random)]?.clientTrafficSecret == nil)
        let rfc = log[RFC8448.clientRandom]
        #expect(rfc?.serverHandshakeTrafficSecret == RFC8448.serverHandshakeTrafficSecret)
        #expect(rfc?.clientTrafficSecret == RFC8448.clientApplicationTrafficSecret)
    }

    @Test func malformedLinesAreNamedByNumberAndTheRestKept() {
        let random = String(repeating: "ab", count: 32)
        let log = KeyLog(parsing: """
            CLIENT_RANDOM \(random)
            CLIENT_RANDOM \(random.dropLast(2)) \(String(repeating: "01", count: 48))
            # fine
            CLIENT_RANDOM \(random) \(String(repeating: "01", count: 47))
            SERVER_TRAFFIC_SECRET_0 \(random) xyz
            CLIENT_TRAFFIC_SECRET_0 \(random) \(String(repeating: "07", count: 32))
            """)
        #expect(log.problems == [
            "line 1: expected LABEL CLIENT_RANDOM SECRET, found 2 fields",
            "line 2: the client random is not 64 hexadecimal digits",
            "line 4: the secret of CLIENT_RANDOM is 47 bytes, not 48",
            "line 5: the secret of SERVER_TRAFFIC_SECRET_0 is not hexadecimal",
        ])
        #expect(log[bytes(random)]?.clientTrafficSecret == Array(repeating: 7, count: 32))
        #expect(log[bytes(random)]?.masterSecret == nil)
    }
}
