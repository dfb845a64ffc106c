import Foundation
import SwiftProtobuf
import WebcastProto
import WireKit

extension Scenario.ProtocolChange {
    /// `persona` whose `User` carries the `user_field` change's undeclared field: a nested
    /// message `{1: 3, 2: "ember"}`.
    static func addingNewUserField(to persona: Persona) -> Persona {
        let value = WireBytes.tag(1, 0) + WireBytes.varint(3) + WireBytes.bytesField(2, Array("ember".utf8))
        var changed = persona
        do {
            changed.user = try User(serializedBytes: serialize(persona.user) + WireBytes.bytesField(Scenario.newUserFieldNumber, value))
        } catch {
            preconditionFailure("re-decoding a user failed: \(error)")
        }
        return changed
    }

    /// `message` as a session with `changes` sends it: chat renamed, a like's `count` sent
    /// length-delimited. Payloads that do not decode (planted defects) keep their bytes.
    static func rewrite(_ message: InnerMessage, for changes: [Scenario.ProtocolChange]) -> InnerMessage {
        var message = message
        if changes.contains(.renamedMethod), message.method == "WebcastChatMessage" {
            message.method = Scenario.renamedChatMethod
            if var chat = try? WebcastChatMessage(serializedBytes: message.payload) {
                chat.common.method = Scenario.renamedChatMethod
                message.payload = serialize(chat)
            }
        }
        if changes.contains(.fieldWireType), message.method == "WebcastLikeMessage",
           var like = try? WebcastLikeMessage(serializedBytes: message.payload) {
            let count = like.count
            like.count = 0
            message.payload = serialize(like) + WireBytes.bytesField(2, Array(String(count).utf8))
        }
        return message
    }
}

/// The changed-protocol fixture set: variants of a base scenario that each carry one
/// real-world kind of protocol change (PROTOCOL.md §6), for diagnosing them with
/// `livetape compare base variant`. A variant differs from its base in that change only:
/// every random draw stays the same.
public enum ProtocolVariant: String, CaseIterable, Sendable {
    /// A new field number inside `User`.
    case userField = "user-field"
    /// A renamed method.
    case renamedMethod = "renamed-method"
    /// A new `compress_type`.
    case newCompressType = "new-compress-type"
    /// `need_ack` with an empty `internal_ext`.
    case needAckEmptyInternalExt = "need-ack-empty-internal-ext"
    /// The handshake rejected with `Handshake-Status: 417`.
    case handshakeRejected = "handshake-rejected-417"
    /// A fallback-stub signing fetch body with a foreign `push_server`.
    case signingStub = "signing-stub"
    /// A field whose wire type changed.
    case fieldWireType = "field-wire-type"

    /// The foreign push server of the `signing-stub` variant.
    public static let foreignPushServer = "wss://webcast-fallback.example.net/webcast/im/push/"

    /// The small base the set is made from by default: one minute, 150 frames.
    public static let base = Scenario(
        name: "changed-base",
        description: "The base of the changed-protocol fixture set: a healthy one-minute session of 150 gzip msg frames.",
        seed: 20_261_130,
        durationSeconds: 60,
        serverFrames: 150,
        users: 40)

    /// The whole-session protocol change the variant adds, if it is one.
    var protocolChange: Scenario.ProtocolChange? {
        switch self {
        case .userField: .userField
        case .renamedMethod: .renamedMethod
        case .newCompressType: .newCompressType
        case .needAckEmptyInternalExt: .needAckEmptyInternalExt
        case .signingStub: .signingStub
        case .fieldWireType: .fieldWireType
        case .handshakeRejected: nil
        }
    }

    /// `base` with this variant's change.
    public func apply(to base: Scenario) -> Scenario {
        var scenario = base
        scenario.name = base.name + "+" + rawValue
        if let change = protocolChange, !scenario.protocolChanges.contains(change) { scenario.protocolChanges.append(change) }
        switch self {
        case .handshakeRejected: scenario.handshakeRejection = .init(status: 417, message: "illegal secret key")
        case .signingStub: scenario.pushServer = Self.foreignPushServer
        default: break
        }
        return scenario
    }
}
