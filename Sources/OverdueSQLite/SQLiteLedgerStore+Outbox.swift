import Foundation
import OverdueCore

/// The dispatch outbox. A dispatch row is written (`queued`) before anything is sent and is
/// never deleted; `UNIQUE (invoice, stage)` in the schema is what makes "each stage at most
/// once, ever" hold across restarts, crashes and concurrent ticks, not a check in code.
extension SQLiteLedgerStore {
    /// `OutboxRules.queue`, in one transaction.
    public func queue(_ items: [NewDispatch], context: ChangeContext) throws -> [Dispatch] {
        // Batched audit inserts: nothing here reads the trail back before the commit.
        try writing(context, batched: true) { audit in try OutboxRules.queue(items, in: primitives, audit: &audit, context: context) }
    }

    /// Links each mark's dispatches to one message (created, or reused when the Message-ID is
    /// already known, as for a retry) and marks them `sending`, counting an attempt. Every mark
    /// in one synchronous=FULL transaction, committed before it returns (a tick pays one disk
    /// flush per batch), so a crash after the first SMTP byte leaves `sending` rows that
    /// start-up turns into `ambiguous`. Not audited: the outcome is.
    /// Nothing is marked when any dispatch is not sendable (65).
    @discardableResult
    public func markSending(_ marks: [SendingMark], context: ChangeContext) throws -> [Int64] {
        guard !marks.isEmpty else { return [] }
        return try writing(context) { _ in
            let now = storedSeconds(context.at)
            for mark in marks {
                let addresses = joinAddresses(mark.recipients)
                // (RETURNING costs more here than the separate SELECT: SQLite stages its rows.)
                try db.prepare("""
                    INSERT INTO messages (message_id, recipients, state, attempts, created_at, updated_at)
                    VALUES (?1, ?2, 'sending', 1, ?3, ?3)
                    ON CONFLICT (message_id) DO UPDATE SET recipients = ?2, state = 'sending', attempts = attempts + 1,
                        next_attempt_at = NULL, updated_at = ?3
                    """).bind(.text(mark.messageID), .text(addresses), .int(now)).run()
                if let data = mark.data {
                    try db.prepare("UPDATE messages SET data = ?, sha256 = ? WHERE message_id = ?")
                        .bind(.blob(data), .text(sha256Hex(data)), .text(mark.messageID)).run()
                }
                guard let messageRow = try scalar("SELECT id FROM messages WHERE message_id = ?", .text(mark.messageID)) else {
                    throw OverdueError(.ioError, "\(db.path): message \(mark.messageID) vanished while being recorded")
                }
                for id in mark.dispatchIDs {
                    // Only a due state is changed (`DispatchState.isDue`); anything else, `sending`
                    // above all (another sender has it on the wire), is looked up for the refusal.
                    // ORs, not IN (...), which makes SQLite build an ephemeral table per execution.
                    try db.prepare("""
                        UPDATE dispatches SET state = 'sending', message = ?, recipients = ?, attempts = attempts + 1,
                            next_attempt_at = NULL, subject = COALESCE(?, subject)
                        WHERE id = ? AND (state = 'queued' OR state = 'retrying' OR state = 'released')
                        """).bind(.int(messageRow), .text(addresses), .optional(mark.subject), .int(id)).run()
                    guard db.changes == 1 else {
                        let dispatch = try fetchDispatch(id)
                        throw OverdueError(.dataError, "invoice \(dispatch.invoiceNumber) stage \(dispatch.stage): is \(dispatch.state.rawValue); cannot be sent")
                    }
                }
            }
            return marks.flatMap(\.dispatchIDs)
        }
    }

    /// `OutboxRules.record`, committed with synchronous=FULL, retried until it commits
    /// (`writing(persist:)`).
    public func recordOutcome(_ ids: [Int64], _ outcome: DispatchOutcome, context: ChangeContext) throws {
        try writing(context, persist: true) { audit in
            try OutboxRules.record(RecordedOutcome(dispatchIDs: ids, outcome), in: primitives, audit: &audit, context: context)
        }
    }

    /// Several outcomes and the return of `unsent` in one transaction, committed with
    /// synchronous=NORMAL: in WAL mode the commit is written to the log before this returns,
    /// so a killed process loses nothing, but it is flushed to disk only by the next FULL
    /// commit (the tick's next `markSending`) or checkpoint. A power cut before then loses
    /// exactly this commit, which leaves the batch `sending`: ambiguous at the next start,
    /// never resent by itself. A batch then costs one flush (its mark) instead of two.
    /// Retried until it commits (`writing(persist:)`): the server already has these messages.
    public func recordOutcomes(_ outcomes: [RecordedOutcome], unsent: [Dispatch], context: ChangeContext) throws {
        guard !outcomes.isEmpty || !unsent.isEmpty else { return }
        try writing(context, batched: true, durability: .relaxed, persist: true) { audit in
            for outcome in outcomes { try OutboxRules.record(outcome, in: primitives, audit: &audit, context: context) }
            for dispatch in unsent { try restore(dispatch, context: context) }
        }
    }

    /// Undoes `markSending` for a dispatch that never reached the transport: its state,
    /// attempts, retry time and recipients as `before` had them; a message row the mark created
    /// is removed, a reused one loses the attempt. Only a dispatch still `sending` is touched.
    private func restore(_ before: Dispatch, context: ChangeContext) throws {
        guard let messageRow = try scalar("SELECT message FROM dispatches WHERE id = ? AND state = 'sending'", .int(before.id)) else {
            return
        }
        let nextAttempt = before.nextAttemptAt.map(storedSeconds)
        try db.prepare("""
            UPDATE dispatches SET state = ?, attempts = ?, next_attempt_at = ?, recipients = ?,
                message = (SELECT id FROM messages WHERE message_id = ?) WHERE id = ?
            """).bind(.text(before.state.rawValue), .int(Int64(before.attempts)), .optional(nextAttempt),
                      .text(joinAddresses(before.recipients)), .optional(before.messageID), .int(before.id)).run()
        if before.messageID == nil {
            try db.prepare("DELETE FROM messages WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM dispatches WHERE message = ?1)")
                .bind(.int(messageRow)).run()
        } else {
            try db.prepare("UPDATE messages SET state = ?, attempts = max(attempts - 1, 0), next_attempt_at = ?, updated_at = ? WHERE id = ?")
                .bind(.text(before.state.rawValue), .optional(nextAttempt), .int(storedSeconds(context.at)), .int(messageRow)).run()
        }
    }

    /// Dispatches in any of `states`, oldest first.
    public func dispatches(in states: Set<DispatchState>) throws -> [Dispatch] {
        guard !states.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: states.count).joined(separator: ", ")
        return try reading {
            let statement = try db.prepareCursor("SELECT \(Columns.dispatchFrom) WHERE d.state IN (\(placeholders)) ORDER BY d.id")
            for (offset, state) in states.map(\.rawValue).sorted().enumerated() {
                try statement.bind(.text(state), at: Int32(offset + 1))
            }
            var list: [Dispatch] = []
            while try statement.step() { list.append(try statement.dispatch(path: db.path)) }
            return list
        }
    }

    /// At start-up, before any tick: a dispatch still `sending` belonged to a process that died
    /// mid-send, and the server may or may not have the message. It becomes `ambiguous`
    /// (audited) and is not retried by itself: a duplicate dunning letter is worse than a
    /// late one, so the owner decides with `invoice resolve`.
    /// SQLite's `data_version`: it changes when another connection (in any process) commits.
    public func othersChangeToken() throws -> Int64? {
        try locked { try db.scalarInt("PRAGMA data_version") }
    }

    public func markInterruptedAsAmbiguous(context: ChangeContext) throws -> [Dispatch] {
        // Usually there is none: then no write transaction (and no disk flush) at all. Only the
        // process holding the sender lock calls this, so none can appear in between.
        guard try locked({ try scalar("SELECT EXISTS (SELECT 1 FROM dispatches WHERE state = 'sending')") }) == 1 else {
            return []
        }
        return try writing(context) { audit in
            var interrupted: [Dispatch] = []
            let statement = try db.prepareCursor("SELECT \(Columns.dispatchFrom) WHERE d.state = 'sending' ORDER BY d.id")
            while try statement.step() { interrupted.append(try statement.dispatch(path: db.path)) }
            return try OutboxRules.markAmbiguous(interrupted, in: primitives, audit: &audit, context: context)
        }
    }

    /// `OutboxRules.resolveAmbiguous`, in one transaction.
    public func resolveAmbiguous(invoice number: String, stage: String, sent: Bool, context: ChangeContext) throws {
        try writing(context) { audit in
            try OutboxRules.resolveAmbiguous(invoice: number, stage: stage, sent: sent, in: primitives, audit: &audit, context: context)
        }
    }

    /// `OutboxRules.requeueFailed`, in one transaction.
    public func requeueFailed(invoice number: String, stage: String, context: ChangeContext) throws {
        try writing(context) { audit in
            try OutboxRules.requeueFailed(invoice: number, stage: stage, in: primitives, audit: &audit, context: context)
        }
    }

    // MARK: Lookups (callers hold the lock)

    func fetchDispatch(_ id: Int64) throws -> Dispatch {
        let statement = try db.prepare("SELECT \(Columns.dispatchFrom) WHERE d.id = ?")
        defer { statement.reset() }
        guard try statement.bind(.int(id)).step() else { throw OverdueError(.dataError, "dispatch \(id): not found") }
        return try statement.dispatch(path: db.path)
    }

    func scalar(_ sql: String, _ values: SQLValue...) throws -> Int64? {
        let statement = try db.prepare(sql)
        defer { statement.reset() }
        for (offset, value) in values.enumerated() { try statement.bind(value, at: Int32(offset + 1)) }
        return try statement.step() ? statement.int(0) : nil
    }
}

extension SQLiteLedgerStore.Primitives: OutboxWriter {
    func invoiceOwner(_ number: String) throws -> (clientID: String, currency: Currency)? {
        let statement = try db.prepare("SELECT client_id, currency FROM invoices WHERE number = ?")
        defer { statement.reset() }
        guard try statement.bind(.text(number)).step() else { return nil }
        guard let currency = Currency(code: statement.text(1)) else {
            throw OverdueError(.ioError, "\(db.path): invoice \(number): stored currency is not valid")
        }
        return (statement.text(0), currency)
    }

    func insertDispatch(_ item: NewDispatch, queuedAt: Date) throws -> Int64? {
        try db.prepare("""
            INSERT INTO dispatches (invoice, stage, action, local_date, queued_at, state, recipients, fee_minor)
            VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)
            ON CONFLICT (invoice, stage) DO NOTHING
            """).bind(.text(item.invoiceNumber), .text(item.stage), .text(item.action.rawValue), .text(item.localDate.description),
                      .int(storedSeconds(queuedAt)), .text(joinAddresses(item.recipients)), .int(item.feeMinorUnits)).run()
        return db.changes == 1 ? db.lastInsertRowID : nil
    }

    /// One sender per SQLite ledger: nobody else moves a marked dispatch, so its state is not read.
    func outcomeSubject(_ id: Int64) throws -> OutcomeSubject? {
        let row = try db.prepare("""
            SELECT d.invoice, d.stage, d.attempts, d.recipients, d.message, m.message_id, i.client_id, m.sha256
            FROM dispatches d LEFT JOIN messages m ON m.id = d.message LEFT JOIN invoices i ON i.number = d.invoice
            WHERE d.id = ?
            """)
        defer { row.reset() }
        guard try row.bind(.int(id)).step() else { return nil }
        return OutcomeSubject(invoice: row.text(0), stage: row.text(1), attempts: row.int(2), recipients: splitAddresses(row.text(3)),
                              message: row.optionalInt(4), messageID: row.optionalText(5), clientID: row.optionalText(6),
                              sha256: row.optionalText(7), state: nil)
    }

    func setOutcome(_ id: Int64, message: Int64?, state: DispatchState, reply: String?, nextAttempt: Date?, at: Date) throws {
        let next = nextAttempt.map(storedSeconds)
        try db.prepare("UPDATE dispatches SET state = ?, last_reply = coalesce(?, last_reply), next_attempt_at = ? WHERE id = ?")
            .bind(.text(state.rawValue), .optional(reply), .optional(next), .int(id)).run()
        if let message {
            try db.prepare("UPDATE messages SET state = ?, last_reply = coalesce(?, last_reply), next_attempt_at = ?, updated_at = ? WHERE id = ?")
                .bind(.text(state.rawValue), .optional(reply), .optional(next), .int(storedSeconds(at)), .int(message)).run()
        }
    }

    func markAmbiguous(_ id: Int64, at: Date) throws {
        try db.prepare("UPDATE dispatches SET state = 'ambiguous' WHERE id = ?").bind(.int(id)).run()
        try db.prepare("UPDATE messages SET state = 'ambiguous', updated_at = ? WHERE id = (SELECT message FROM dispatches WHERE id = ?)")
            .bind(.int(storedSeconds(at)), .int(id)).run()
    }

    func dispatchID(invoice: String, stage: String) throws -> Int64? {
        try store.scalar("SELECT id FROM dispatches WHERE invoice = ? AND stage = ?", .text(invoice), .text(stage))
    }

    func dispatch(_ id: Int64) throws -> Dispatch { try store.fetchDispatch(id) }

    func settle(_ id: Int64, to state: DispatchState) throws {
        try db.prepare("UPDATE dispatches SET state = ?, next_attempt_at = NULL WHERE id = ?").bind(.text(state.rawValue), .int(id)).run()
    }

    func requeue(_ id: Int64, queuedAt: Date) throws {
        try db.prepare("UPDATE dispatches SET state = 'released', next_attempt_at = NULL, queued_at = ? WHERE id = ?")
            .bind(.int(storedSeconds(queuedAt)), .int(id)).run()
    }
}
