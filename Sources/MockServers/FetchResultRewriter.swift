import SwiftProtobuf
import WebcastProto

/// Edits recorded signing-service answers so that a client follows them to the mock servers.
public enum FetchResultRewriter {
    /// `body`, a raw `ProtoMessageFetchResult` (the body of `GET /webcast/fetch`, uncompressed),
    /// with `push_server` (field 10) set to `url`. Every other field is kept, unknown fields
    /// included (at every nesting level); the result is serialized with deterministic ordering
    /// (`route_params` sorted by key, unknown fields after known ones), so it may differ from
    /// the input in more than field 10's bytes — and in length: recompute `Content-Length`.
    /// Throws the protobuf decoding error when `body` is not a valid message.
    /// The `push_server` of a fetch result; nil when `body` is not one or names none.
    public static func pushServer(of body: [UInt8]) -> String? {
        guard let result = try? ProtoMessageFetchResult(serializedBytes: body), !result.pushServer.isEmpty else { return nil }
        return result.pushServer
    }

    public static func rewritePushServer(_ body: [UInt8], to url: String) throws -> [UInt8] {
        var result = try ProtoMessageFetchResult(serializedBytes: body)
        result.pushServer = url
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return try result.serializedBytes(options: options)
    }
}
