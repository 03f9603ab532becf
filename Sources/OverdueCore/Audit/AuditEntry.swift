import Crypto
import Foundation

/// The kinds of event the audit trail records (the contract's list, plus a few more).
public enum AuditEvent: String, Sendable, CaseIterable {
    case daemonStarted = "daemon.started"
    case daemonStopped = "daemon.stopped"
    case configReloaded = "config.reloaded"
    case configRejected = "config.rejected"
    case tickStarted = "tick.started"
    case tickFinished = "tick.finished"
    case invoiceImported = "invoice.imported"
    case invoiceAdded = "invoice.added"
    case invoiceUpdated = "invoice.updated"
    case invoicePaid = "invoice.paid"
    case invoiceHeld = "invoice.held"
    case invoiceReleased = "invoice.released"
    case invoiceCancelled = "invoice.cancelled"
    case invoiceEscalated = "invoice.escalated"
    case invoiceWrittenOff = "invoice.written_off"
    /// A stage's fee charged to the invoice: its message was sent (details: amount, currency).
    case invoiceFeeCharged = "invoice.fee_charged"
    /// The owner waived the charged fees (details: amount, currency, reason).
    case invoiceFeeWaived = "invoice.fee_waived"
    /// A client first seen in an import or `invoice add`.
    case clientAdded = "client.added"
    /// An import changed a client's name or addresses (details: each field's from/to).
    case clientUpdated = "client.updated"
    case clientHeld = "client.held"
    case clientReleased = "client.released"
    case clientBlocked = "client.blocked"
    case clientUnblocked = "client.unblocked"
    case reminderQueued = "reminder.queued"
    case reminderSent = "reminder.sent"
    case reminderDeferred = "reminder.deferred"
    case reminderFailed = "reminder.failed"
    case reminderAmbiguous = "reminder.ambiguous"
    case reminderResolved = "reminder.resolved"
    /// A due reminder no longer wanted (invoice settled, cancelled, client blocked): not sent.
    case reminderWithdrawn = "reminder.withdrawn"
    /// `invoice requeue`: a failed reminder released to be sent again.
    case reminderRequeued = "reminder.requeued"
    case reminderSuperseded = "reminder.superseded"
    case ownerNotified = "owner.notified"
    /// A payment taken from a payment file (`import-payments`), with its reference.
    case paymentRecorded = "payment.recorded"
    /// A file of the watched folder refused and moved to `rejected/`.
    case importRejected = "import.rejected"
    /// The letter before action went to the client (details as `reminder.sent`).
    case demandSent = "demand.sent"
    /// An evidence packet was written (details: file, files, manifest's SHA-256, public key).
    case evidenceExported = "evidence.exported"
    /// A client answered a reminder (or named an open invoice): the invoice is held.
    case replyReceived = "reply.received"
    /// A delivery report: a client's address failed for good and is no longer written to.
    case reminderBounced = "reminder.bounced"
    /// An out-of-office or other automatic answer from a client; nothing is held.
    case reminderAutoReply = "reminder.auto_reply"
    /// The chain's head was mailed to the owner and the server accepted it (`AuditWitness`).
    case auditWitnessed = "audit.witnessed"
}

/// What a caller asks the trail to record. The store adds `seq`, the time and the chain hashes.
public struct AuditRecord: Sendable {
    public var event: AuditEvent
    public var invoice: String?
    public var client: String?
    public var stage: String?
    /// Event-specific facts, in a fixed key order (recipients, Message-ID, reply, reason, ...).
    public var details: [(String, JSONValue)]

    public init(_ event: AuditEvent, invoice: String? = nil, client: String? = nil, stage: String? = nil,
                details: [(String, JSONValue)] = []) {
        self.event = event
        self.invoice = invoice
        self.client = client
        self.stage = stage
        self.details = details
    }
}

/// One stored entry of the append-only, hash-chained audit trail.
///
/// `hash = SHA-256(prevHash ‖ "\n" ‖ canonical)`, hex-encoded, where `canonical` is the entry's
/// JSON line without the hashes. Changing, inserting or deleting any entry breaks every later
/// link, which `AuditChain.verify` finds.
public struct AuditEntry: Sendable {
    public var seq: Int64
    /// Real time of recording.
    public var at: Date
    /// The `--as-of` instant the command ran under, when it differs from the real time.
    public var asOf: Date?
    public var event: String
    public var invoice: String?
    public var client: String?
    public var stage: String?
    /// The details object as its canonical JSON text.
    public var detailsJSON: String
    public var prevHash: String
    public var hash: String

    public init(seq: Int64, at: Date, asOf: Date?, event: String, invoice: String?, client: String?, stage: String?,
                detailsJSON: String, prevHash: String, hash: String) {
        self.seq = seq
        self.at = at
        self.asOf = asOf
        self.event = event
        self.invoice = invoice
        self.client = client
        self.stage = stage
        self.detailsJSON = detailsJSON
        self.prevHash = prevHash
        self.hash = hash
    }

    /// The JSON line shown by `overdue audit --format json` (and hashed, minus the hashes).
    public func jsonLine(includeHashes: Bool = true) -> String {
        String(decoding: jsonLineBytes(includeHashes: includeHashes), as: UTF8.self)
    }

    /// The line `overdue audit --format json` prints: the entry's own keys, the details' keys
    /// also at the top level (`recipients`, `message_id`, `reply`, ... as the contract shows
    /// them), the `details` object itself, then `prev` and `hash`. A detail whose key would
    /// clash with an entry key stays only in `details`. What is hashed is
    /// `jsonLineBytes(includeHashes: false)`, which this view does not change.
    public func displayJSONLineBytes() -> [UInt8] {
        var line = jsonLineBytes(includeHashes: true)
        let inner = detailsJSON.utf8.dropFirst().dropLast()
        let reserved = ["seq", "at", "as_of", "event", "invoice", "client", "stage", "details", "prev", "hash"]
        guard detailsJSON.hasPrefix("{"), !inner.isEmpty,
              !reserved.contains(where: { detailsJSON.contains("\"\($0)\":") }),
              let start = line.firstRange(of: Array(",\"details\":".utf8)) else { return line }
        line.insert(contentsOf: [UInt8(ascii: ",")] + inner, at: start.lowerBound)
        return line
    }

    /// `jsonLine` as UTF-8 bytes (`AuditLine.write`).
    public func jsonLineBytes(includeHashes: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + detailsJSON.utf8.count)
        AuditLine.write(seq: seq, times: AuditLine.times(at: at, asOf: asOf), event: event, invoice: invoice, client: client,
                        stage: stage, details: detailsJSON.utf8, hashes: includeHashes ? (prevHash, hash) : nil, to: &out)
        return out
    }
}

/// The JSON line of an entry: the one writer of the text the chain hashes (without the hashes)
/// and `audit --format json` prints (with them), for `AuditEntry` and for the store appending
/// entries, so what is hashed when an entry is written is what is hashed when it is verified.
public enum AuditLine {
    /// `,"at":"…"` and, when given, `,"as_of":"…"`: the same for every entry a change appends.
    public static func times(at: Date, asOf: Date?) -> [UInt8] {
        var out: [UInt8] = []
        ByteText.append(",\"at\":\"" + formatTimestamp(at) + "\"", to: &out)
        if let asOf { ByteText.append(",\"as_of\":\"" + formatTimestamp(asOf) + "\"", to: &out) }
        return out
    }

    /// `{"seq":…,"at":…,"event":…,"invoice":…,"client":…,"stage":…,"details":…}`, with
    /// `"prev"` and `"hash"` before the closing brace when `hashes` are given. `details` is the
    /// details object already serialized canonically (`JSONValue.write`).
    @inlinable public static func write<Details: Collection>(seq: Int64, times: [UInt8], event: String, invoice: String?, client: String?,
                                                  stage: String?, details: Details, hashes: (prev: String, hash: String)?,
                                                  to out: inout [UInt8]) where Details.Element == UInt8 {
        ByteText.append("{\"seq\":", to: &out)
        ByteText.append(seq, to: &out)
        out.append(contentsOf: times)
        ByteText.append(",\"event\":", to: &out)
        JSONValue.writeString(event, to: &out)
        ByteText.append(",\"invoice\":", to: &out)
        JSONValue.writeString(optional: invoice, to: &out)
        ByteText.append(",\"client\":", to: &out)
        JSONValue.writeString(optional: client, to: &out)
        ByteText.append(",\"stage\":", to: &out)
        JSONValue.writeString(optional: stage, to: &out)
        ByteText.append(",\"details\":", to: &out)
        out.append(contentsOf: details)
        if let hashes {
            ByteText.append(",\"prev\":\"" + hashes.prev + "\",\"hash\":\"" + hashes.hash + "\"", to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

public enum AuditChain {
    /// The `prevHash` of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    public static func hash(of entry: AuditEntry) -> String {
        hash(prevHash: entry.prevHash, canonical: entry.jsonLineBytes(includeHashes: false))
    }

    public static func hash(prevHash: String, canonical: [UInt8]) -> String {
        hexString(digest(prevHash: prevHash, canonical: canonical))
    }

    /// The hash as its 32 bytes (as the store keeps it).
    public static func digest(prevHash: String, canonical: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(prevHash.utf8.count + 1 + canonical.count)
        startMessage(prevHashHex: prevHash.utf8, to: &message)
        message.append(contentsOf: canonical)
        var out: [UInt8] = []
        digest(message: message, into: &out)
        return out
    }

    /// The message an entry's hash is taken over is the previous hash's hex digits, a newline
    /// and the entry's canonical line (`AuditLine.write` without hashes); this writes the first
    /// two, and the line follows, so an appender hashes one buffer it reuses.
    public static func startMessage<Hex: Collection>(prevHashHex: Hex, to message: inout [UInt8]) where Hex.Element == UInt8 {
        message.append(contentsOf: prevHashHex)
        message.append(0x0A)
    }

    /// The hash of a whole message (`startMessage` and the line), written over the contents
    /// of `out` (an appender's reused buffer: no array per entry).
    public static func digest(message: [UInt8], into out: inout [UInt8]) {
        var hasher = SHA256()
        message.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let digest = hasher.finalize()
        out.removeAll(keepingCapacity: true)
        digest.withUnsafeBytes { out.append(contentsOf: $0) }
    }

    /// Details serialized canonically, as stored and hashed.
    public static func detailsJSON(_ details: [(String, JSONValue)]) -> String { JSONValue.object(details).serialized }

    /// Checks a run of entries in `seq` order continuing from `previous` (nil at the start).
    /// Returns the first entry that breaks the chain, with what is wrong.
    public static func firstBreak<S: Sequence>(in entries: S, previous: AuditEntry? = nil) -> (seq: Int64, problem: String)?
    where S.Element == AuditEntry {
        var previous = previous
        for entry in entries {
            if let problem = problem(with: entry, after: previous) { return (entry.seq, problem) }
            previous = entry
        }
        return nil
    }

    /// What is wrong with `entry` as the one after `previous` (nil: it is the first), or nil
    /// when it links: its `seq` follows, its `prevHash` is the previous hash, its content matches its hash.
    public static func problem(with entry: AuditEntry, after previous: AuditEntry?) -> String? {
        let expectedSeq = (previous?.seq ?? 0) + 1
        if entry.seq != expectedSeq { return "sequence gap: expected seq \(expectedSeq)" }
        if entry.prevHash != (previous?.hash ?? genesis) { return "prev hash does not match the previous entry" }
        if hash(of: entry) != entry.hash { return "content does not match its hash" }
        return nil
    }
}

/// SHA-256 of `bytes` as lower-case hex: the digest of a message as sent and of each file of an
/// evidence packet.
public func sha256Hex(_ bytes: [UInt8]) -> String { hexString(SHA256.hash(data: bytes)) }
