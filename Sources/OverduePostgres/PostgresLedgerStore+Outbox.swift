import Foundation
import OverdueCore

/// The dispatch outbox, shared by several senders. `UNIQUE (invoice, stage)` with
/// `ON CONFLICT DO NOTHING` makes planning on every daemon at once create one dispatch per
/// (invoice, stage); `markSending` claims with `FOR UPDATE SKIP LOCKED`, so two senders never
/// take the same dispatch and neither waits for the other.
extension PostgresLedgerStore {
    public func queue(_ items: [NewDispatch], context: ChangeContext) throws -> [Dispatch] {
        try writing(context, batched: true) { audit in try OutboxRules.queue(items, in: primitives, audit: &audit, context: context) }
    }

    /// Claims the marks' dispatches and marks them `sending`, in one transaction committed
    /// (and flushed by the server) before it returns. A mark whose dispatches are not all
    /// still due, or that another sender is claiming this instant (row locked), is left out:
    /// that sender has it. Returns the dispatch ids claimed; only those may be sent. The claim
    /// records which sender made it (`dispatches.sending_daemon`).
    @discardableResult
    public func markSending(_ marks: [SendingMark], context: ChangeContext) throws -> [Int64] {
        guard !marks.isEmpty else { return [] }
        // Whoever marks is a sender: without a live lock its batch would look abandoned to
        // the other daemons at once.
        if daemonID == nil { try lockForSending() }
        return try writing(context, serialized: false) { _ in
            let now = storedSeconds(context.at)
            var claimed: [Int64] = []
            for mark in marks {
                let ids = "{" + mark.dispatchIDs.map(String.init).joined(separator: ",") + "}"
                let free = try db.query("""
                    SELECT id FROM dispatches WHERE id = ANY($1::bigint[])
                        AND state IN ('queued', 'retrying', 'released')
                    ORDER BY id FOR UPDATE SKIP LOCKED
                    """, [.text(ids)])
                guard free.count == Set(mark.dispatchIDs).count else { continue }
                let addresses = joinAddresses(mark.recipients)
                let message = try db.query("""
                    INSERT INTO messages (message_id, recipients, state, attempts, created_at, updated_at)
                    VALUES ($1, $2, 'sending', 1, $3, $3)
                    ON CONFLICT (message_id) DO UPDATE SET recipients = $2, state = 'sending', attempts = messages.attempts + 1,
                        next_attempt_at = NULL, updated_at = $3
                    RETURNING id
                    """, [.text(mark.messageID), .text(addresses), .int(now)])
                let messageRow = message.int(0, 0)
                if let data = mark.data {
                    try db.query("UPDATE messages SET data = $1, sha256 = $2 WHERE id = $3",
                                 [.bytes(data), .text(sha256Hex(data)), .int(messageRow)])
                }
                for id in mark.dispatchIDs {
                    try db.query("""
                        UPDATE dispatches SET state = 'sending', message = $1, recipients = $2, attempts = attempts + 1,
                            next_attempt_at = NULL, subject = COALESCE($3, subject), sending_daemon = $4
                        WHERE id = $5
                        """, [.int(messageRow), .text(addresses), .optional(mark.subject), .optional(daemonID), .int(id)])
                    claimed.append(id)
                }
            }
            if let daemonID {
                try db.query("UPDATE daemons SET claimed = $1 WHERE id = $2", [.int(Int64(claimed.count)), .text(daemonID)])
            }
            return claimed
        }
    }

    public func recordOutcome(_ ids: [Int64], _ outcome: DispatchOutcome, context: ChangeContext) throws {
        try writing(context, persist: true) { audit in
            try OutboxRules.record(RecordedOutcome(dispatchIDs: ids, outcome), in: primitives, audit: &audit, context: context)
        }
    }

    public func recordOutcomes(_ outcomes: [RecordedOutcome], unsent: [Dispatch], context: ChangeContext) throws {
        guard !outcomes.isEmpty || !unsent.isEmpty else { return }
        try writing(context, batched: true, persist: true) { audit in
            for outcome in outcomes { try OutboxRules.record(outcome, in: primitives, audit: &audit, context: context) }
            for dispatch in unsent { try restore(dispatch, context: context) }
            if let daemonID {
                try db.query("UPDATE daemons SET claimed = 0 WHERE id = $1", [.text(daemonID)])
            }
        }
    }

    /// As `SQLiteLedgerStore.restore`: a dispatch marked but never handed to the transport
    /// goes back to how it was; only one still `sending` is touched.
    private func restore(_ before: Dispatch, context: ChangeContext) throws {
        guard let messageRow = try db.scalarInt("SELECT message FROM dispatches WHERE id = $1 AND state = 'sending'", [.int(before.id)]) else {
            return
        }
        let nextAttempt = before.nextAttemptAt.map(storedSeconds)
        try db.query("""
            UPDATE dispatches SET state = $1, attempts = $2, next_attempt_at = $3, recipients = $4,
                message = (SELECT id FROM messages WHERE message_id = $5), sending_daemon = NULL WHERE id = $6
            """, [.text(before.state.rawValue), .int(Int64(before.attempts)), .optional(nextAttempt),
                  .text(joinAddresses(before.recipients)), .optional(before.messageID), .int(before.id)])
        if before.messageID == nil {
            try db.query("DELETE FROM messages WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM dispatches WHERE message = $1)", [.int(messageRow)])
        } else {
            try db.query("UPDATE messages SET state = $1, attempts = greatest(attempts - 1, 0), next_attempt_at = $2, updated_at = $3 WHERE id = $4",
                         [.text(before.state.rawValue), .optional(nextAttempt), .int(storedSeconds(context.at)), .int(messageRow)])
        }
    }

    public func dispatches(in states: Set<DispatchState>) throws -> [Dispatch] {
        guard !states.isEmpty else { return [] }
        let list = "{" + states.map(\.rawValue).sorted().joined(separator: ",") + "}"
        return try reading {
            let rows = try db.query("SELECT \(PGColumns.dispatchFrom) WHERE d.state = ANY($1::text[]) ORDER BY d.id", [.text(list)])
            return try (0..<rows.count).map { try rows.dispatch($0, label: label) }
        }
    }

    /// Every `sending` dispatch whose sender is gone (its advisory lock free: the process
    /// died, or the server dropped its session after a partition) becomes `ambiguous`
    /// (audited), never resent by itself. Senders call it at start, before every tick and
    /// before every batch claim, so the survivors settle a dead daemon's batch while they work
    /// through their queue. Another live sender's dispatches are left alone; this sender's own
    /// are not, as on SQLite: it calls this only with no batch of its own in flight, so one
    /// still `sending` is a claim whose commit it never heard back about (the server went
    /// down between the commit and its reply) or whose outcome it could not record.
    public func markInterruptedAsAmbiguous(context: ChangeContext) throws -> [Dispatch] {
        let orphaned = """
            d.state = 'sending' AND (d.sending_daemon IS NULL OR d.sending_daemon = $1 OR NOT EXISTS (
                SELECT 1 FROM daemons x WHERE x.id = d.sending_daemon AND \(Self.alive("x"))))
            """
        let me: [PGValue] = [.text(daemonID ?? "")]
        guard try locked({ try db.scalarInt("SELECT count(*) FROM dispatches d WHERE \(orphaned)", me) }) ?? 0 > 0 else {
            return []
        }
        return try writing(context) { audit in
            let rows = try db.query("SELECT \(PGColumns.dispatchFrom) WHERE \(orphaned) ORDER BY d.id FOR UPDATE OF d SKIP LOCKED", me)
            let interrupted = try (0..<rows.count).map { try rows.dispatch($0, label: label) }
            return try OutboxRules.markAmbiguous(interrupted, in: primitives, audit: &audit, context: context)
        }
    }

    public func resolveAmbiguous(invoice number: String, stage: String, sent: Bool, context: ChangeContext) throws {
        try writing(context) { audit in
            try OutboxRules.resolveAmbiguous(invoice: number, stage: stage, sent: sent, in: primitives, audit: &audit, context: context)
        }
    }

    public func requeueFailed(invoice number: String, stage: String, context: ChangeContext) throws {
        try writing(context) { audit in
            try OutboxRules.requeueFailed(invoice: number, stage: stage, in: primitives, audit: &audit, context: context)
        }
    }

    func fetchDispatch(_ id: Int64) throws -> Dispatch {
        let rows = try db.query("SELECT \(PGColumns.dispatchFrom) WHERE d.id = $1", [.int(id)])
        guard rows.count > 0 else { throw OverdueError(.dataError, "dispatch \(id): not found") }
        return try rows.dispatch(0, label: label)
    }
}

extension PostgresLedgerStore.Primitives: OutboxWriter {
    func invoiceOwner(_ number: String) throws -> (clientID: String, currency: Currency)? {
        let rows = try db.query("SELECT client_id, currency FROM invoices WHERE number = $1", [.text(number)])
        guard rows.count > 0 else { return nil }
        guard let currency = Currency(code: rows.text(0, 1)) else {
            throw OverdueError(.ioError, "\(store.label): invoice \(number): stored currency is not valid")
        }
        return (rows.text(0, 0), currency)
    }

    func insertDispatch(_ item: NewDispatch, queuedAt: Date) throws -> Int64? {
        let inserted = try db.query("""
            INSERT INTO dispatches (invoice, stage, action, local_date, queued_at, state, recipients, fee_minor)
            VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7)
            ON CONFLICT (invoice, stage) DO NOTHING
            RETURNING id
            """, [.text(item.invoiceNumber), .text(item.stage), .text(item.action.rawValue), .text(item.localDate.description),
                  .int(storedSeconds(queuedAt)), .text(joinAddresses(item.recipients)), .int(item.feeMinorUnits)])
        return inserted.count == 1 ? inserted.int(0, 0) : nil
    }

    /// Locks the dispatch's row and reads its state: another sender may have moved it.
    func outcomeSubject(_ id: Int64) throws -> OutcomeSubject? {
        let row = try db.query("""
            SELECT d.invoice, d.stage, d.attempts, d.recipients, d.message, m.message_id, i.client_id, m.sha256, d.state
            FROM dispatches d LEFT JOIN messages m ON m.id = d.message LEFT JOIN invoices i ON i.number = d.invoice
            WHERE d.id = $1 FOR UPDATE OF d
            """, [.int(id)])
        guard row.count > 0 else { return nil }
        return OutcomeSubject(invoice: row.text(0, 0), stage: row.text(0, 1), attempts: row.int(0, 2),
                              recipients: splitAddresses(row.text(0, 3)), message: row.optionalInt(0, 4),
                              messageID: row.optionalText(0, 5), clientID: row.optionalText(0, 6), sha256: row.optionalText(0, 7),
                              state: DispatchState(rawValue: row.text(0, 8)))
    }

    func setOutcome(_ id: Int64, message: Int64?, state: DispatchState, reply: String?, nextAttempt: Date?, at: Date) throws {
        let next = nextAttempt.map(storedSeconds)
        try db.query("UPDATE dispatches SET state = $1, last_reply = coalesce($2, last_reply), next_attempt_at = $3 WHERE id = $4",
                     [.text(state.rawValue), .optional(reply), .optional(next), .int(id)])
        if let message {
            try db.query("UPDATE messages SET state = $1, last_reply = coalesce($2, last_reply), next_attempt_at = $3, updated_at = $4 WHERE id = $5",
                         [.text(state.rawValue), .optional(reply), .optional(next), .int(storedSeconds(at)), .int(message)])
        }
    }

    func markAmbiguous(_ id: Int64, at: Date) throws {
        try db.query("UPDATE dispatches SET state = 'ambiguous' WHERE id = $1", [.int(id)])
        try db.query("UPDATE messages SET state = 'ambiguous', updated_at = $1 WHERE id = (SELECT message FROM dispatches WHERE id = $2)",
                     [.int(storedSeconds(at)), .int(id)])
    }

    func dispatchID(invoice: String, stage: String) throws -> Int64? {
        try db.scalarInt("SELECT id FROM dispatches WHERE invoice = $1 AND stage = $2", [.text(invoice), .text(stage)])
    }

    func dispatch(_ id: Int64) throws -> Dispatch { try store.fetchDispatch(id) }

    func settle(_ id: Int64, to state: DispatchState) throws {
        try db.query("UPDATE dispatches SET state = $1, next_attempt_at = NULL WHERE id = $2", [.text(state.rawValue), .int(id)])
    }

    func requeue(_ id: Int64, queuedAt: Date) throws {
        try db.query("UPDATE dispatches SET state = 'released', next_attempt_at = NULL, queued_at = $1 WHERE id = $2",
                     [.int(storedSeconds(queuedAt)), .int(id)])
    }
}
