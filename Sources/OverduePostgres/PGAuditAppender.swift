import Foundation
import OverdueCore

/// Appends entries to the hash-chained audit table inside the caller's transaction, with the
/// hash rule of the SQLite ledger (`AuditLine`, `AuditChain`), so `audit verify` and a copied
/// ledger check the same.
///
/// The chain's head is read after locking the one row of `audit_chain` (`FOR UPDATE`): a second
/// writer, on this host or another, waits there until this transaction ends, then reads the
/// head this one left. Several daemons thus make one chain, never two branches.
struct PGAuditAppender {
    /// The `meta` key holding `SEQ HASH` of the newest entry (as in SQLite), so `verifyAudit`
    /// notices entries cut off the end of the chain.
    static let headKey = "audit.head"

    private let db: PGConnection
    private let at: Int64
    private let asOf: Int64?
    private let times: [UInt8]
    /// The newest entry: its seq and hash as stored (32 bytes) and as the next entry's hash is
    /// taken over (hex digits), both kept so an entry costs no conversion through a String.
    private var headRead = false
    private var lastSeq: Int64 = 0
    private var lastBytes: [UInt8] = []
    private var lastHex: [UInt8] = []
    private var pending: [PGValue] = []
    private var pendingRows = 0
    /// A batched appender's entries, written with one COPY per `batchSize`.
    private var copied = PGCopyRows()
    private var appended = 0
    private var line: [UInt8] = []
    private var details: [UInt8] = []
    private var batchSize: Int

    init(_ db: PGConnection, context: ChangeContext, batched: Bool = false) {
        self.db = db
        at = storedSeconds(context.at)
        asOf = context.asOf.map(storedSeconds)
        times = AuditLine.times(at: storedDate(at), asOf: asOf.map(storedDate))
        batchSize = batched ? 5000 : 1
        line.reserveCapacity(512)
        details.reserveCapacity(256)
    }

    /// Locks the chain's head row and reads the head (once per transaction).
    static func lockChain(_ db: PGConnection) throws {
        try db.query("SELECT one FROM audit_chain WHERE one = 1 FOR UPDATE")
    }

    private mutating func readHead() throws {
        guard !headRead else { return }
        try PGAuditAppender.lockChain(db)
        let rows = try db.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        if rows.count > 0 {
            (lastSeq, lastBytes, lastHex) = (rows.int(0, 0), rows.bytes(0, 1), Array(rows.hex(0, 1).utf8))
        } else {
            (lastSeq, lastBytes, lastHex) = (0, ByteText.decodeHex(AuditChain.genesis) ?? [], Array(AuditChain.genesis.utf8))
        }
        headRead = true
    }

    /// The seq of the newest entry, this transaction's included (the chain locked first).
    mutating func headSeq() throws -> Int64 {
        try readHead()
        return lastSeq
    }

    /// Keeps every entry until `flush` or `finish`, so a caller with a COPY of its own open
    /// (the import's invoices) is never interrupted by one of the trail's.
    mutating func holdEntries() { batchSize = .max }

    mutating func append(_ record: AuditRecord) throws {
        details.removeAll(keepingCapacity: true)
        JSONValue.object(record.details).write(to: &details)
        try append(record.event, invoice: record.invoice, client: record.client, stage: record.stage, details: details)
    }

    mutating func append(_ records: [AuditRecord]) throws {
        for record in records { try append(record) }
    }

    mutating func append(_ event: AuditEvent, invoice: String?, client: String?, stage: String?, details: [UInt8]) throws {
        try readHead()
        let seq = lastSeq + 1
        line.removeAll(keepingCapacity: true)
        AuditChain.startMessage(prevHashHex: lastHex, to: &line)
        AuditLine.write(seq: seq, times: times, event: event.rawValue, invoice: invoice, client: client,
                        stage: stage, details: details, hashes: nil, to: &line)
        var hashBytes: [UInt8] = []
        AuditChain.digest(message: line, into: &hashBytes)
        if batchSize > 1 {
            copied.int(seq); copied.int(at); copied.int(asOf); copied.text(event.rawValue); copied.text(invoice)
            copied.text(client); copied.text(stage); copied.text(utf8: details); copied.bytea(lastBytes); copied.bytea(hashBytes)
            copied.endRow()
        } else {
            pending += [.int(seq), .int(at), .optional(asOf), .text(event.rawValue), .optional(invoice), .optional(client),
                        .optional(stage), .text(String(decoding: details, as: UTF8.self)), .bytes(lastBytes), .bytes(hashBytes)]
        }
        pendingRows += 1
        lastSeq = seq
        lastBytes = hashBytes
        lastHex.removeAll(keepingCapacity: true)
        ByteText.appendHex(bytes: hashBytes, to: &lastHex)
        appended += 1
        if pendingRows >= batchSize { try flush() }
    }

    /// Writes the entries kept so far (in the caller's transaction).
    mutating func flush() throws {
        guard pendingRows > 0 else { return }
        if copied.rows > 0 {
            try db.copy(into: "audit", columns: PGColumns.audit, copied)
            copied.removeAll()
        } else {
            try PGBatch.insert(db, "INSERT INTO audit (\(PGColumns.audit)) VALUES", columns: 10, rows: pendingRows, pending)
            pending.removeAll(keepingCapacity: true)
        }
        pendingRows = 0
    }

    /// Writes what is still batched and records the new head; called once before the commit.
    mutating func finish() throws {
        try flush()
        guard appended > 0 else { return }
        try db.query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     [.text(Self.headKey), .text("\(lastSeq) \(String(decoding: lastHex, as: UTF8.self))")])
    }
}

/// Multi-row `INSERT … VALUES ($1, …), (…)`: one round trip for many rows.
enum PGBatch {
    static func insert(_ db: PGConnection, _ prefix: String, columns: Int, rows: Int, _ values: [PGValue], suffix: String = "") throws {
        var sql = prefix + " "
        var n = 0
        for row in 0..<rows {
            sql += row == 0 ? "(" : ", ("
            for column in 0..<columns {
                n += 1
                sql += (column == 0 ? "$" : ", $") + String(n)
            }
            sql += ")"
        }
        try db.query(sql + " " + suffix, values)
    }
}
