import Foundation
import OverdueCore

/// The dispatch outbox. A dispatch row is written (`queued`) before anything is sent and is
/// never deleted; `UNIQUE (invoice, stage)` in the schema is what makes "each stage at most
/// once, ever" hold across restarts, crashes and concurrent ticks, not a check in code.
extension SQLiteLedgerStore {
    /// Inserts each new (invoice, stage) as `queued`, audited `reminder.queued` plus one
    /// `reminder.superseded` per stage it skipped. Pairs already dispatched are skipped silently
    /// (no row, no audit). An unknown invoice is 65 and nothing is queued.
    public func queue(_ items: [NewDispatch], context: ChangeContext) throws -> [Dispatch] {
        // Batched audit inserts: nothing here reads the trail back before the commit.
        try writing(context, batched: true) { audit in
            var created: [Dispatch] = []
            // The instant the tick decided at (`--as-of`): `give_up_after` counts from here.
            let queuedAt = storedSeconds(context.effectiveNow)
            for item in items {
                guard let invoice = try invoiceOwner(item.invoiceNumber) else { throw notFound(item.invoiceNumber) }
                let insert = try db.prepare("""
                    INSERT INTO dispatches (invoice, stage, action, local_date, queued_at, state, recipients, fee_minor)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)
                    ON CONFLICT (invoice, stage) DO NOTHING
                    """)
                try insert.bind(.text(item.invoiceNumber), .text(item.stage), .text(item.action.rawValue),
                                .text(item.localDate.description), .int(queuedAt), .text(joinAddresses(item.recipients)),
                                .int(item.feeMinorUnits)).run()
                guard db.changes == 1 else { continue }
                let dispatch = Dispatch(id: db.lastInsertRowID, invoiceNumber: item.invoiceNumber, stage: item.stage,
                                        action: item.action, localDate: item.localDate, queuedAt: storedDate(queuedAt),
                                        state: .queued, recipients: item.recipients, feeMinorUnits: item.feeMinorUnits)
                created.append(dispatch)
                var details: [(String, JSONValue)] = [
                    ("action", .string(item.action.rawValue)), ("local_date", .string(item.localDate.description)),
                    ("recipients", .strings(item.recipients)),
                ]
                if item.feeMinorUnits != 0 {
                    details.append(("fee", .string(Money(minorUnits: item.feeMinorUnits, currency: invoice.currency).decimalString)))
                }
                try audit.append(AuditRecord(.reminderQueued, invoice: item.invoiceNumber, client: invoice.clientID,
                                             stage: item.stage, details: details))
                for skipped in item.superseded {
                    try audit.append(AuditRecord(.reminderSuperseded, invoice: item.invoiceNumber, client: invoice.clientID,
                                                 stage: skipped, details: [("by", .string(item.stage))]))
                }
            }
            return created
        }
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

    /// Records what became of a send for every dispatch it covered, audited per dispatch:
    /// `reminder.sent` (recipients, Message-ID, the server's reply), `reminder.deferred` (reply
    /// and next attempt), `reminder.failed` (reply). `done` (no mail was due, as for a write-off)
    /// only moves the state; the status change it stands for is audited by `setInvoiceStatus`.
    /// Committed with synchronous=FULL, retried until it commits (`writing(persist:)`).
    public func recordOutcome(_ ids: [Int64], _ outcome: DispatchOutcome, context: ChangeContext) throws {
        try writing(context, persist: true) { audit in try record(RecordedOutcome(dispatchIDs: ids, outcome), audit: &audit, context: context) }
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
            for outcome in outcomes { try record(outcome, audit: &audit, context: context) }
            for dispatch in unsent { try restore(dispatch, context: context) }
        }
    }

    private func record(_ recorded: RecordedOutcome, audit: inout AuditAppender, context: ChangeContext) throws {
        let outcome = recorded.outcome
        let state: DispatchState, reply: String?, nextAttempt: Int64?
        switch outcome {
        case .sent(let text): (state, reply, nextAttempt) = (.sent, text, nil)
        case .retry(let at, let text): (state, reply, nextAttempt) = (.retrying, text, storedSeconds(at))
        case .failed(let text): (state, reply, nextAttempt) = (.failed, text, nil)
        case .done: (state, reply, nextAttempt) = (.done, nil, nil)
        case .ambiguous(let text): (state, reply, nextAttempt) = (.ambiguous, text, nil)
        case .withdrawn(let reason): (state, reply, nextAttempt) = (.withdrawn, "withdrawn: \(reason)", nil)
        }
        let now = storedSeconds(context.at)
        for id in recorded.dispatchIDs {
            // What the audit entry states, in one narrow read.
            let row = try db.prepare("""
                SELECT d.invoice, d.stage, d.attempts, d.recipients, d.message, m.message_id, i.client_id, m.sha256
                FROM dispatches d LEFT JOIN messages m ON m.id = d.message LEFT JOIN invoices i ON i.number = d.invoice
                WHERE d.id = ?
                """)
            guard try row.bind(.int(id)).step() else {
                row.reset()
                throw OverdueError(.dataError, "dispatch \(id): not found")
            }
            let invoice = row.text(0), stage = row.text(1), attempts = row.int(2), recipients = splitAddresses(row.text(3))
            let messageRow = row.isNull(4) ? nil : row.int(4), messageID = row.optionalText(5), clientID = row.optionalText(6)
            let sha256 = row.optionalText(7)
            row.reset()
            try db.prepare("UPDATE dispatches SET state = ?, last_reply = coalesce(?, last_reply), next_attempt_at = ? WHERE id = ?")
                .bind(.text(state.rawValue), .optional(reply), .optional(nextAttempt), .int(id)).run()
            if let messageRow {
                try db.prepare("UPDATE messages SET state = ?, last_reply = coalesce(?, last_reply), next_attempt_at = ?, updated_at = ? WHERE id = ?")
                    .bind(.text(state.rawValue), .optional(reply), .optional(nextAttempt), .int(now), .int(messageRow)).run()
            }
            let event: AuditEvent
            var details: [(String, JSONValue)] = [("recipients", .strings(recipients)), ("message_id", .optional(messageID))]
            switch outcome {
            case .sent(let text):
                event = .reminderSent
                details.append(("reply", .string(text)))
                if let sha256 { details.append(("sha256", .string(sha256))) }
            case .retry(let at, let text):
                event = .reminderDeferred
                details += [("reply", .string(text)), ("next_attempt_at", .string(formatTimestamp(at)))]
            case .failed(let text):
                event = .reminderFailed
                details.append(("reply", .string(text)))
            case .ambiguous(let text):
                event = .reminderAmbiguous
                details.append(("reply", .string(text)))
            case .withdrawn(let reason):
                event = .reminderWithdrawn
                details.append(("reason", .string(reason)))
            case .done:
                continue
            }
            details.append(("attempts", .int(attempts)))
            try audit.append(AuditRecord(event, invoice: invoice, client: clientID, stage: stage, details: details))
        }
        if case .sent = outcome { try chargeFees(forSent: recorded.dispatchIDs, audit: &audit, context: context) }
    }

    /// The client and currency of an invoice, without reading the rest of it.
    private func invoiceOwner(_ number: String) throws -> (clientID: String, currency: Currency)? {
        let statement = try db.prepare("SELECT client_id, currency FROM invoices WHERE number = ?")
        defer { statement.reset() }
        guard try statement.bind(.text(number)).step() else { return nil }
        guard let currency = Currency(code: statement.text(1)) else {
            throw OverdueError(.ioError, "\(db.path): invoice \(number): stored currency is not valid")
        }
        return (statement.text(0), currency)
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
            for index in interrupted.indices {
                let dispatch = interrupted[index]
                try db.prepare("UPDATE dispatches SET state = 'ambiguous' WHERE id = ?").bind(.int(dispatch.id)).run()
                try db.prepare("UPDATE messages SET state = 'ambiguous', updated_at = ? WHERE id = (SELECT message FROM dispatches WHERE id = ?)")
                    .bind(.int(storedSeconds(context.at)), .int(dispatch.id)).run()
                interrupted[index].state = .ambiguous
                try audit.append(AuditRecord(.reminderAmbiguous, invoice: dispatch.invoiceNumber,
                                             client: try fetchInvoice(dispatch.invoiceNumber)?.clientID, stage: dispatch.stage,
                                             details: [("recipients", .strings(dispatch.recipients)),
                                                       ("message_id", .optional(dispatch.messageID)),
                                                       ("attempts", .int(Int64(dispatch.attempts)))]))
            }
            return interrupted
        }
    }

    /// Settles an `ambiguous` dispatch: `sent` records it delivered (`sent`), otherwise it is
    /// `released` to go out on the next tick; either way audited `reminder.resolved` with the
    /// resolution. Anything but an ambiguous dispatch is 65.
    public func resolveAmbiguous(invoice number: String, stage: String, sent: Bool, context: ChangeContext) throws {
        try writing(context) { audit in
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            guard let id = try scalar("SELECT id FROM dispatches WHERE invoice = ? AND stage = ?", .text(number), .text(stage)) else {
                throw OverdueError(.dataError, "invoice \(number): no dispatch for stage \(stage)")
            }
            let dispatch = try fetchDispatch(id)
            guard dispatch.state == .ambiguous else {
                throw OverdueError(.dataError, "invoice \(number) stage \(stage): is \(dispatch.state.rawValue), not ambiguous")
            }
            let state: DispatchState = sent ? .sent : .released
            try db.prepare("UPDATE dispatches SET state = ?, next_attempt_at = NULL WHERE id = ?")
                .bind(.text(state.rawValue), .int(id)).run()
            try audit.append(AuditRecord(.reminderResolved, invoice: number, client: invoice.clientID, stage: stage, details: [
                ("resolution", .string(sent ? "sent" : "resend")), ("message_id", .optional(dispatch.messageID)),
            ]))
            if sent { try chargeFees(forSent: [id], audit: &audit, context: context) }
        }
    }

    /// Releases a `failed` dispatch to go out again on the next tick, audited `reminder.requeued`
    /// with the reply it had failed with. Its retry schedule and `give_up_after` start afresh
    /// from now. Anything but a failed dispatch is 65.
    public func requeueFailed(invoice number: String, stage: String, context: ChangeContext) throws {
        try writing(context) { audit in
            guard let invoice = try fetchInvoice(number) else { throw notFound(number) }
            guard let id = try scalar("SELECT id FROM dispatches WHERE invoice = ? AND stage = ?", .text(number), .text(stage)) else {
                throw OverdueError(.dataError, "invoice \(number): no dispatch for stage \(stage)")
            }
            let dispatch = try fetchDispatch(id)
            guard dispatch.state == .failed else {
                throw OverdueError(.dataError, "invoice \(number) stage \(stage): is \(dispatch.state.rawValue), not failed")
            }
            try db.prepare("UPDATE dispatches SET state = 'released', next_attempt_at = NULL, queued_at = ? WHERE id = ?")
                .bind(.int(storedSeconds(context.effectiveNow)), .int(id)).run()
            try audit.append(AuditRecord(.reminderRequeued, invoice: number, client: invoice.clientID, stage: stage, details: [
                ("message_id", .optional(dispatch.messageID)), ("reply", .optional(dispatch.lastReply)),
                ("attempts", .int(Int64(dispatch.attempts))),
            ]))
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
