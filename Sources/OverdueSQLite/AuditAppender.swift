import Foundation
import OverdueCore

/// Appends entries to the hash-chained audit table inside the caller's write transaction.
///
/// It reads the chain's head once when the transaction starts (the write lock is already held,
/// so nobody else can append in between) and then carries `seq` and the previous hash in
/// memory, so a million-row import hashes as it inserts without reading anything back.
/// The canonical line is built in a reused byte buffer, byte for byte what
/// `AuditEntry.jsonLineBytes(includeHashes: false)` gives (debug builds check every entry).
struct AuditAppender {
    /// The `meta` key holding `SEQ HASH` of the newest entry, so `verifyAudit` notices entries
    /// cut off the end of the chain, which the links alone cannot show.
    static let headKey = "audit.head"

    private let db: SQLiteConnection
    private let at: Int64
    private let asOf: Int64?
    /// `,"at":"…"` and `,"as_of":"…"` when given, then `,"event":`: the same for every entry.
    private let timePart: [UInt8]
    private var rows: BatchInsert
    private(set) var lastSeq: Int64
    private(set) var lastHash: String
    private var lastHashBytes: [UInt8]
    private var appended = 0
    private var line: [UInt8] = []

    /// `batched` appenders write 64 entries per statement (for imports); the entries reach the
    /// table by `finish`, so nothing may read the trail back in between.
    init(_ db: SQLiteConnection, context: ChangeContext, batched: Bool = false) throws {
        self.db = db
        // Whole seconds: the stored and the hashed timestamp must be the same value.
        at = storedSeconds(context.at)
        asOf = context.asOf.map(storedSeconds)
        var part: [UInt8] = []
        ByteText.append(",\"at\":\"" + formatTimestamp(storedDate(at)) + "\"", to: &part)
        if let asOf { ByteText.append(",\"as_of\":\"" + formatTimestamp(storedDate(asOf)) + "\"", to: &part) }
        ByteText.append(",\"event\":", to: &part)
        timePart = part
        line.reserveCapacity(512)
        let head = try db.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        defer { head.reset() }
        if try head.step() {
            lastSeq = head.int(0)
            lastHashBytes = head.blob(1)
            lastHash = head.hexBlob(1)
        } else {
            lastSeq = 0
            lastHash = AuditChain.genesis
            lastHashBytes = ByteText.bytes(fromHex: AuditChain.genesis)
        }
        rows = BatchInsert(db, prefix: "INSERT INTO audit (\(Columns.audit)) VALUES", columns: 10, batchSize: batched ? 64 : 1)
    }

    mutating func append(_ record: AuditRecord) throws {
        try append(record.event, invoice: record.invoice, client: record.client, stage: record.stage,
                   details: JSONValue.object(record.details).serializedBytes)
    }

    mutating func append(_ records: [AuditRecord]) throws {
        for record in records { try append(record) }
    }

    /// Appends an entry whose details object is already serialized canonically (the import's
    /// hot path builds it straight into bytes).
    mutating func append(_ event: AuditEvent, invoice: String?, client: String?, stage: String?, details: [UInt8]) throws {
        let seq = lastSeq + 1
        line.removeAll(keepingCapacity: true)
        ByteText.append("{\"seq\":", to: &line)
        ByteText.append(seq, to: &line)
        line.append(contentsOf: timePart)
        JSONValue.writeString(event.rawValue, to: &line)
        ByteText.append(",\"invoice\":", to: &line)
        JSONValue.optional(invoice).write(to: &line)
        ByteText.append(",\"client\":", to: &line)
        JSONValue.optional(client).write(to: &line)
        ByteText.append(",\"stage\":", to: &line)
        JSONValue.optional(stage).write(to: &line)
        ByteText.append(",\"details\":", to: &line)
        line.append(contentsOf: details)
        line.append(UInt8(ascii: "}"))
        let hash = AuditChain.hash(prevHash: lastHash, canonical: line)
        assert(line == AuditEntry(seq: seq, at: storedDate(at), asOf: asOf.map(storedDate), event: event.rawValue,
                                  invoice: invoice, client: client, stage: stage,
                                  detailsJSON: String(decoding: details, as: UTF8.self), prevHash: lastHash, hash: hash)
                        .jsonLineBytes(includeHashes: false), "audit canonical line differs from AuditEntry.jsonLineBytes")

        let hashBytes = ByteText.bytes(fromHex: hash)
        rows.append(.int(seq)); rows.append(.int(at)); rows.append(.optional(asOf)); rows.append(.text(event.rawValue))
        rows.append(.optional(invoice)); rows.append(.optional(client)); rows.append(.optional(stage))
        rows.append(.utf8(details)); rows.append(.blob(lastHashBytes)); rows.append(.blob(hashBytes))
        try rows.endRow()
        lastSeq = seq
        lastHash = hash
        lastHashBytes = hashBytes
        appended += 1
    }

    /// Writes what is still batched and records the new head; called once before the
    /// transaction commits.
    mutating func finish() throws {
        try rows.flush()
        guard appended > 0 else { return }
        try db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(.text(Self.headKey), .text("\(lastSeq) \(lastHash)")).run()
    }
}
