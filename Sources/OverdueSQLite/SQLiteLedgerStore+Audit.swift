import Foundation
import OverdueCore

extension SQLiteLedgerStore {
    public func appendAudit(_ records: [AuditRecord], context: ChangeContext) throws {
        try writing(context) { audit in try audit.append(records) }
    }

    /// Streams the matching entries oldest first. `filter.event` is exact (`reminder.sent`), or
    /// a family: `reminder` and `reminder.*` both match every `reminder.…` event.
    /// `since` and `until` bound `at` inclusively, at whole-second precision.
    public func auditEntries(_ filter: AuditFilter, _ body: (AuditEntry) throws -> Void) throws {
        try matchingEntries(filter, newestFirst: false) { entry in
            try body(entry)
            return true
        }
    }

    /// The newest matching entry: the same query read from the end, stopping at the first row.
    public func lastAuditEntry(_ filter: AuditFilter) throws -> AuditEntry? {
        var last: AuditEntry?
        try matchingEntries(filter, newestFirst: true) { entry in
            last = entry
            return false
        }
        return last
    }

    /// The entries `filter` matches in `seq` order (descending when `newestFirst`), while `body`
    /// returns true.
    private func matchingEntries(_ filter: AuditFilter, newestFirst: Bool, _ body: (AuditEntry) throws -> Bool) throws {
        let (exact, family) = AuditFilter.eventMatch(filter.event)
        try reading {
            let cursor = try db.prepareCursor("""
                SELECT \(Columns.audit) FROM audit
                WHERE (?1 IS NULL OR invoice = ?1) AND (?2 IS NULL OR client = ?2)
                  AND ((?3 IS NULL AND ?4 IS NULL) OR event = ?3 OR substr(event, 1, length(?4)) = ?4)
                  AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at <= ?6)
                ORDER BY seq \(newestFirst ? "DESC" : "ASC")
                """)
            try cursor.bind(.optional(filter.invoice), .optional(filter.client), .optional(exact), .optional(family),
                            .optional(filter.since.map(storedSeconds)), .optional(filter.until.map(storedSeconds)))
            while try cursor.step() {
                if try !body(cursor.auditEntry()) { break }
            }
        }
    }

    /// `AuditTrailCheck` over the whole chain, read by one cursor.
    public func verifyAudit() throws -> (seq: Int64, problem: String)? {
        try reading {
            let cursor = try db.prepareCursor("SELECT \(Columns.audit) FROM audit ORDER BY seq")
            var check = AuditTrailCheck()
            while try cursor.step() {
                if let problem = check.add(cursor.auditEntry()) { return problem }
            }
            return check.finish(head: try meta(AuditAppender.headKey))
        }
    }
}
