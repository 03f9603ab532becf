import Foundation
import OverdueCore

/// Appends entries to the hash-chained audit table inside the caller's write transaction.
///
/// It reads the chain's head once when the transaction starts (the write lock is already held,
/// so nobody else can append in between) and then carries `seq` and the previous hash in
/// memory, so a million-row import hashes as it inserts without reading anything back.
struct AuditAppender {
    /// The `meta` key holding `SEQ HASH` of the newest entry, so `verifyAudit` notices entries
    /// cut off the end of the chain, which the links alone cannot show.
    static let headKey = "audit.head"

    private let db: SQLiteConnection
    private let at: Date
    private let asOf: Date?
    private(set) var lastSeq: Int64
    private(set) var lastHash: String
    private var appended = 0

    init(_ db: SQLiteConnection, context: ChangeContext) throws {
        self.db = db
        // Whole seconds: the stored and the hashed timestamp must be the same value.
        at = storedDate(storedSeconds(context.at))
        asOf = context.asOf.map { storedDate(storedSeconds($0)) }
        let head = try db.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        defer { head.reset() }
        if try head.step() {
            lastSeq = head.int(0)
            lastHash = head.text(1)
        } else {
            lastSeq = 0
            lastHash = AuditChain.genesis
        }
    }

    mutating func append(_ record: AuditRecord) throws {
        var entry = AuditEntry(seq: lastSeq + 1, at: at, asOf: asOf, event: record.event.rawValue,
                               invoice: record.invoice, client: record.client, stage: record.stage,
                               detailsJSON: AuditChain.detailsJSON(record.details), prevHash: lastHash, hash: "")
        entry.hash = AuditChain.hash(of: entry)
        try db.prepare("INSERT INTO audit (\(Columns.audit)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(.int(entry.seq), .int(storedSeconds(entry.at)), .optional(entry.asOf.map(storedSeconds)),
                  .text(entry.event), .optional(entry.invoice), .optional(entry.client), .optional(entry.stage),
                  .text(entry.detailsJSON), .text(entry.prevHash), .text(entry.hash))
            .run()
        lastSeq = entry.seq
        lastHash = entry.hash
        appended += 1
    }

    mutating func append(_ records: [AuditRecord]) throws {
        for record in records { try append(record) }
    }

    /// Records the new head; called once before the transaction commits.
    func finish() throws {
        guard appended > 0 else { return }
        try db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(.text(Self.headKey), .text("\(lastSeq) \(lastHash)")).run()
    }
}
