import Crypto
import Foundation

/// What is wrong with one file of an evidence packet.
public struct EvidenceProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

/// The offline check of a packet (`overdue evidence verify`): needs only its files, never the
/// ledger. Every check runs, so one edit may be reported by several of them (an edited .eml
/// fails both its manifest hash and its audit entry).
public enum EvidenceVerifier {
    public struct Report: Sendable {
        public var problems: [EvidenceProblem] = []
        /// The key the signature was checked against (base64).
        public var publicKey: String?
        public var invoice: String?
        public var files = 0
        public var auditEntries = 0
        public var messages = 0
    }

    /// `trustedKey` (base64, `overdue evidence key` of the sender) pins who signed; without it
    /// the manifest's own key is used, which proves the packet unaltered since signing but not
    /// by whom.
    public static func verify(files: [String: [UInt8]], trustedKey: String?) -> Report {
        var report = Report()
        func problem(_ file: String, _ reason: String) { report.problems.append(EvidenceProblem(file: file, reason: reason)) }
        guard let manifestBytes = files[EvidencePacket.manifestName] else {
            problem(EvidencePacket.manifestName, "missing")
            return report
        }
        guard let manifest = (try? JSONSerialization.jsonObject(with: Data(manifestBytes))) as? [String: Any],
              manifest["format"] as? String == EvidencePacket.format,
              let listed = manifest["files"] as? [[String: Any]] else {
            problem(EvidencePacket.manifestName, "not an \(EvidencePacket.format) manifest")
            return report
        }
        report.invoice = manifest["invoice"] as? String
        let embeddedKey = manifest["public_key"] as? String
        if let trustedKey, let embeddedKey, trustedKey != embeddedKey {
            problem(EvidencePacket.manifestName, "names key \(embeddedKey), not the expected \(trustedKey)")
        }
        let keyText = trustedKey ?? embeddedKey
        report.publicKey = keyText
        if let keyText, let raw = Data(base64Encoded: keyText), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) {
            let signatureText = files[EvidencePacket.signatureName].map { String(decoding: $0, as: UTF8.self) }?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let signatureText, let signature = Data(base64Encoded: signatureText) {
                if !key.isValidSignature(signature, for: Data(manifestBytes)) {
                    problem(EvidencePacket.signatureName, "the signature does not match manifest.json and key \(keyText)")
                }
            } else {
                problem(EvidencePacket.signatureName, files[EvidencePacket.signatureName] == nil ? "missing" : "not a base64 signature")
            }
        } else {
            problem(EvidencePacket.manifestName, "no valid Ed25519 public key to check the signature with")
        }

        var listedNames: Set<String> = [EvidencePacket.manifestName, EvidencePacket.signatureName]
        for item in listed {
            guard let name = item["name"] as? String, let expected = item["sha256"] as? String else {
                problem(EvidencePacket.manifestName, "a file entry without name or sha256")
                continue
            }
            listedNames.insert(name)
            guard let data = files[name] else {
                problem(name, "listed in the manifest but missing")
                continue
            }
            report.files += 1
            let actual = sha256Hex(data)
            if actual != expected { problem(name, "SHA-256 \(actual) differs from the manifest's \(expected)") }
        }
        for name in files.keys.sorted() where !listedNames.contains(name) {
            problem(name, "not listed in the manifest")
        }

        var sentDigests: [String: [(seq: Int64, sha256: String)]] = [:]
        if let audit = files[EvidencePacket.auditName] {
            for (offset, line) in audit.split(separator: 0x0A, omittingEmptySubsequences: true).enumerated() {
                let where_ = "\(EvidencePacket.auditName) line \(offset + 1)"
                report.auditEntries += 1
                switch checkEntry(Array(line)) {
                case .failure(let reason): problem(where_, reason.description)
                case .success(let entry):
                    if let id = entry.messageID, let sha = entry.sha256 { sentDigests[id, default: []].append((entry.seq, sha)) }
                }
            }
        } else {
            problem(EvidencePacket.auditName, "missing")
        }

        for name in files.keys.sorted() where name.hasPrefix("messages/") && name.hasSuffix(".eml") {
            report.messages += 1
            guard let data = files[name] else { continue }
            guard let messageID = headerValue("Message-ID", in: data) else {
                problem(name, "has no Message-ID header")
                continue
            }
            guard let recorded = sentDigests[messageID], !recorded.isEmpty else {
                problem(name, "no audit entry records a message sent as \(messageID)")
                continue
            }
            let actual = sha256Hex(data)
            if !recorded.contains(where: { $0.sha256 == actual }) {
                problem(name, "SHA-256 \(actual) differs from the one recorded when it was sent (audit seq \(recorded[0].seq): \(recorded[0].sha256))")
            }
        }
        return report
    }

    struct CheckedEntry {
        var seq: Int64
        var messageID: String?
        var sha256: String?
    }

    /// One `audit.jsonl` line re-hashed by the chain's rule (`AuditChain.hash`): the line minus
    /// its trailing `"prev"` and `"hash"` members is the canonical text that was hashed.
    static func checkEntry(_ line: [UInt8]) -> Result<CheckedEntry, EvidenceProblem.Reason> {
        let prefix = Array(",\"prev\":\"".utf8), middle = Array("\",\"hash\":\"".utf8), end = Array("\"}".utf8)
        let tail = prefix.count + 64 + middle.count + 64 + end.count
        guard line.count > tail else { return .failure(.init("not an audit entry with its hashes")) }
        let cut = line.count - tail
        let prevStart = cut + prefix.count, hashStart = prevStart + 64 + middle.count
        guard Array(line[cut..<prevStart]) == prefix, Array(line[(prevStart + 64)..<hashStart]) == middle,
              Array(line[(hashStart + 64)...]) == end else {
            return .failure(.init("not an audit entry with its hashes"))
        }
        let prev = String(decoding: line[prevStart..<(prevStart + 64)], as: UTF8.self)
        let hash = String(decoding: line[hashStart..<(hashStart + 64)], as: UTF8.self)
        let canonical = Array(line[..<cut]) + [UInt8(ascii: "}")]
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
              let seq = (object["seq"] as? NSNumber)?.int64Value else {
            return .failure(.init("not valid JSON"))
        }
        let actual = AuditChain.hash(prevHash: prev, canonical: canonical)
        guard actual == hash else { return .failure(.init("seq \(seq): content does not match its hash")) }
        let details = object["details"] as? [String: Any]
        return .success(CheckedEntry(seq: seq, messageID: details?["message_id"] as? String, sha256: details?["sha256"] as? String))
    }

    /// An unfolded header's value (first occurrence, name case-insensitive), trimmed.
    static func headerValue(_ name: String, in message: [UInt8]) -> String? {
        let text = String(decoding: message, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n").first ?? text
        let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
        let wanted = name.lowercased() + ":"
        for line in unfolded.components(separatedBy: "\r\n") where line.lowercased().hasPrefix(wanted) {
            return line.dropFirst(wanted.count).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}

extension EvidenceProblem {
    /// A reason without a file yet (the caller knows which file it checked).
    public struct Reason: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ text: String) { description = text }
    }
}
