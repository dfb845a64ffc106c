import MockServers
import NIOCore
import NIOHTTP1
import NIOPosix
import Tape
import TapeClient
import WireKit

/// The HTTP listener: forwards every request to the signing service, records the exchange, and
/// points the `push_server` of fetch answers at the proxy's WebSocket listener.
struct SigningForwarder: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let upstream: ClientURL
    let pushListenerURL: String
    let maxBodyBytes: Int
    let tls: TLSOptions
    let state: ProxyState

    static func bind(host: String, port: Int) async throws -> NIOAsyncChannel<Connection, Never> {
        try await ServerBootstrap.listener()
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    func serve(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let h):
                        (head, body, tooLarge) = (h, [], false)
                    case .body(let chunk):
                        if body.count + chunk.readableBytes > maxBodyBytes { tooLarge = true } else { body += chunk.readableBytesView }
                    case .end:
                        guard let request = head else { continue }
                        let response = tooLarge
                            ? MockResponse.json(413, ["message": .string("request body over \(maxBodyBytes) bytes")])
                            : await forward(request, body: body)
                        guard request.isKeepAlive && !tooLarge else {
                            try await writeLast(response, on: connection.channel)
                            return
                        }
                        try await write(response, to: outbound)
                    }
                }
            }
        } catch {
            state.log("record: signing connection ended: \(error)")
        }
    }

    /// Forwards one request and records it; the answer for the client.
    private func forward(_ head: HTTPRequestHead, body: [UInt8]) async -> MockResponse {
        var url = upstream
        url.target = (upstream.path == "/" ? "" : String(upstream.path)) + head.uri
        let headers = head.headers.map { HTTPHeader($0.name, $0.value) }.removing(hopByHopHeaders)
        let conn = state.recorder.nextConnection()
        let started = state.recorder.now()
        let recordedURL = "\(url.scheme)://\(url.hostHeader)\(url.target)"
        let request = HTTPRequest(method: head.method.rawValue, url: recordedURL, headers: headers, body: Body(body))
        let response: HTTPResponse
        do {
            response = try await HTTPClientConnection.send(head.method.rawValue, to: url, headers: headers, body: body, maxBodyBytes: 64 << 20, tls: tls)
        } catch {
            state.log("record: \(head.method.rawValue) \(recordedURL): upstream failed: \(error)")
            state.recorder.emit { now in
                .http(HTTPExchange(timeMicros: started, conn: conn, durationMicros: now - started, request: request, response: nil, error: "\(error)"))
            }
            state.exchanges.add(1, ordering: .relaxed)
            return .json(502, ["message": .string("the signing upstream failed: \(error)")])
        }
        var stored = response
        var plain = response.body.bytes
        if let encoding = response.headers.first("content-encoding")?.lowercased(), encoding == "gzip" || encoding == "deflate",
           let decoded = try? Inflate.inflate(response.body.bytes, format: encoding == "gzip" ? .gzip : .zlib) {
            plain = decoded
            stored.body = Body(decoded)
            stored.contentEncoding = encoding
        }
        state.recorder.emit { now in
            .http(HTTPExchange(timeMicros: started, conn: conn, durationMicros: now - started, request: request, response: stored))
        }
        state.exchanges.add(1, ordering: .relaxed)
        if response.status >= 500 { state.log("record: \(head.method.rawValue) \(recordedURL): upstream answered \(response.status)") }

        var clientHeaders = response.headers.removing(hopByHopHeaders)
        var clientBody = response.body.bytes
        if url.path == "/webcast/fetch", response.status == 200,
           let original = FetchResultRewriter.pushServer(of: plain),
           let rewritten = try? FetchResultRewriter.rewritePushServer(plain, to: pushListenerURL) {
            state.learntPushServer.withLock { $0 = original }
            clientBody = rewritten
            clientHeaders = clientHeaders.removing(["content-encoding"])
        }
        return MockResponse(status: response.status, headers: clientHeaders, body: clientBody)
    }
}
