import Crypto
import Foundation

/// One file of an evidence packet: its path inside the zip and its bytes.
public struct EvidenceFile: Sendable, Equatable {
    public var name: String
    public var data: [UInt8]

    public init(name: String, data: [UInt8]) {
        self.name = name
        self.data = data
    }
}

/// The proof-of-notice packet of one invoice, as files (the zip is written at the edge).
///
/// `manifest.json` lists every other file with its SHA-256 and names the signing key;
/// `manifest.sig` is the Ed25519 signature of the manifest's exact bytes (base64). The audit
/// entries (the invoice's, and the audit witnesses covering them: `EvidenceWitnesses`) are
/// `audit.jsonl`, one `AuditEntry.jsonLine()` each, hashes included, so each can be
/// re-hashed without the ledger; each `messages/*.eml` is byte for byte what the server
/// accepted, and its SHA-256 is the one its `reminder.sent` entry states.
public enum EvidencePacket {
    public static let format = "overdue-evidence/1"
    public static let manifestName = "manifest.json"
    public static let signatureName = "manifest.sig"
    public static let auditName = "audit.jsonl"
    public static let statementName = "statement.html"

    /// The public key as printed by `overdue evidence key` and named in manifests: base64 of
    /// the raw 32-byte Ed25519 key.
    public static func publicKeyText(_ key: Curve25519.Signing.PublicKey) -> String {
        key.rawRepresentation.base64EncodedString()
    }

    /// The files of the packet, manifest and signature last. Each message is named after the
    /// stage its audit entry records (`messages/01-reminder-30.eml`; the letter before action `NN-demand.eml`).
    public static func build(invoice: String, createdAt: Date, statement: String, messages: [SentMessage],
                             audit: [AuditEntry], signingKey: Curve25519.Signing.PrivateKey) throws -> [EvidenceFile] {
        var files = [EvidenceFile(name: statementName, data: Array(statement.utf8))]
        var auditBytes: [UInt8] = []
        for entry in audit {
            auditBytes += entry.jsonLineBytes(includeHashes: true)
            auditBytes.append(0x0A)
        }
        for (index, message) in messages.enumerated() {
            let entry = audit.last { $0.detailsJSON.contains("\"message_id\":" + JSONValue.string(message.messageID).serialized) }
            let stage = entry?.stage ?? (entry?.event == AuditEvent.demandSent.rawValue ? "demand" : "message")
            let safe = String(stage.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") })
            let number = index + 1 < 10 ? "0\(index + 1)" : "\(index + 1)"
            files.append(EvidenceFile(name: "messages/\(number)-\(safe.isEmpty ? "message" : safe).eml", data: message.data))
        }
        files.append(EvidenceFile(name: auditName, data: auditBytes))
        let manifest = JSONValue.object([
            ("format", .string(format)),
            ("invoice", .string(invoice)),
            ("created_at", .string(formatTimestamp(createdAt))),
            ("public_key", .string(publicKeyText(signingKey.publicKey))),
            ("files", .array(files.map { file in
                .object([("name", .string(file.name)), ("sha256", .string(sha256Hex(file.data))), ("bytes", .int(Int64(file.data.count)))])
            })),
        ]).serializedBytes + [0x0A]
        let signature = try signingKey.signature(for: manifest)
        files.append(EvidenceFile(name: manifestName, data: manifest))
        files.append(EvidenceFile(name: signatureName, data: Array((signature.base64EncodedString() + "\n").utf8)))
        return files
    }
}
