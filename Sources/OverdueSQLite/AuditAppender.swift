import Foundation
import OverdueCore

/// Appends entries to the hash-chained audit table inside the caller's write transaction.
///
/// It reads the chain's head once when the transaction starts (the write lock is already held,
/// so nobody else can append in between) and then carries `seq` and the previous hash in
/// memory, so a million-row import hashes as it inserts without reading anything back.
/// The hashed line is written by `AuditLine.write`, as `AuditEntry` writes it when the chain is
/// verified, into a reused byte buffer.
struct AuditAppender {
    /// The `meta` key holding `SEQ HASH` of the newest entry, so `verifyAudit` notices entries
    /// cut off the end of the chain, which the links alone cannot show.
    static let headKey = "audit.head"

    private let db: SQLiteConnection
    private let at: Int64
    private let asOf: Int64?
    /// `,"at":"…"` and `,"as_of":"…"` when given: the same for every entry.
    private let times: [UInt8]
    private var rows: BatchInsert
    private var lastSeq: Int64
    /// The newest hash as stored (32 bytes) and as the next entry's hash is taken over (its hex
    /// digits), both kept so an entry costs no conversion through a String.
    private var lastHashBytes: [UInt8]
    private var lastHashHex: [UInt8] = []
    private var appended = 0
    /// The message the next hash is taken over (`AuditChain.startMessage`, then the line).
    private var line: [UInt8] = []
    private var details: [UInt8] = []

    /// `batched` appenders write 64 entries per statement (for imports); the entries reach the
    /// table by `finish`, so nothing may read the trail back in between.
    init(_ db: SQLiteConnection, context: ChangeContext, batched: Bool = false) throws {
        self.db = db
        // Whole seconds: the stored and the hashed timestamp must be the same value.
        at = storedSeconds(context.at)
        asOf = context.asOf.map(storedSeconds)
        times = AuditLine.times(at: storedDate(at), asOf: asOf.map(storedDate))
        line.reserveCapacity(512)
        details.reserveCapacity(256)
        let head = try db.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        defer { head.reset() }
        if try head.step() {
            lastSeq = head.int(0)
            lastHashBytes = head.blob(1)
        } else {
            lastSeq = 0
            lastHashBytes = ByteText.decodeHex(AuditChain.genesis) ?? []
        }
        lastHashHex.reserveCapacity(64)
        ByteText.appendHex(bytes: lastHashBytes, to: &lastHashHex)
        rows = BatchInsert(db, prefix: "INSERT INTO audit (\(Columns.audit)) VALUES", columns: 10, batchSize: batched ? 64 : 1)
    }

    mutating func append(_ record: AuditRecord) throws {
        details.removeAll(keepingCapacity: true)
        JSONValue.object(record.details).write(to: &details)
        try append(record.event, invoice: record.invoice, client: record.client, stage: record.stage, details: details)
    }

    mutating func append(_ records: [AuditRecord]) throws {
        for record in records { try append(record) }
    }

    /// Appends an entry whose details object is already written (by `JSONValue` or
    /// `JSONObjectWriter`: the import's hot path has no tree to build).
    mutating func append(_ event: AuditEvent, invoice: String?, client: String?, stage: String?, details: [UInt8]) throws {
        let seq = lastSeq + 1
        line.removeAll(keepingCapacity: true)
        AuditChain.startMessage(prevHashHex: lastHashHex, to: &line)
        AuditLine.write(seq: seq, times: times, event: event.rawValue, invoice: invoice, client: client,
                        stage: stage, details: details, hashes: nil, to: &line)
        rows.append(.int(seq)); rows.append(.int(at)); rows.append(.optional(asOf)); rows.append(.text(event.rawValue))
        rows.append(.optional(invoice)); rows.append(.optional(client)); rows.append(.optional(stage))
        rows.append(.utf8(details)); rows.append(.blob(lastHashBytes))
        // The previous hash is in the row: its buffers now take the new one.
        AuditChain.digest(message: line, into: &lastHashBytes)
        rows.append(.blob(lastHashBytes))
        lastHashHex.removeAll(keepingCapacity: true)
        ByteText.appendHex(bytes: lastHashBytes, to: &lastHashHex)
        try rows.endRow()
        lastSeq = seq
        appended += 1
    }

    /// Writes what is still batched and records the new head; called once before the
    /// transaction commits.
    mutating func finish() throws {
        try rows.flush()
        guard appended > 0 else { return }
        try db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(.text(Self.headKey), .text("\(lastSeq) \(String(decoding: lastHashHex, as: UTF8.self))")).run()
    }
}
