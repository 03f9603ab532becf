import Foundation

/// What an outcome's audit entry states about a dispatch, read in one narrow query.
public struct OutcomeSubject: Sendable, Equatable {
    public var invoice: String
    public var stage: String
    public var attempts: Int64
    public var recipients: [String]
    /// The store's key of the message the dispatch is linked to; nil before its first mark.
    public var message: Int64?
    public var messageID: String?
    public var clientID: String?
    /// The digest of the message's bytes as sent, when they were kept.
    public var sha256: String?
    /// The dispatch's state now, on a ledger other senders share (they may have moved it since
    /// this sender marked it); nil where nobody else sends.
    public var state: DispatchState?

    public init(invoice: String, stage: String, attempts: Int64, recipients: [String], message: Int64?, messageID: String?,
                clientID: String?, sha256: String?, state: DispatchState?) {
        self.invoice = invoice
        self.stage = stage
        self.attempts = attempts
        self.recipients = recipients
        self.message = message
        self.messageID = messageID
        self.clientID = clientID
        self.sha256 = sha256
        self.state = state
    }
}

/// What the outbox rules need of a store, inside the caller's write transaction.
public protocol OutboxWriter: FeeWriter {
    /// The client and currency of an invoice, without reading the rest of it; nil when unknown.
    func invoiceOwner(_ number: String) throws -> (clientID: String, currency: Currency)?
    /// Inserts the item as a `queued` dispatch unless its (invoice, stage) has one already;
    /// the new dispatch's id, nil when it was skipped.
    func insertDispatch(_ item: NewDispatch, queuedAt: Date) throws -> Int64?
    /// Nil when there is no such dispatch.
    func outcomeSubject(_ id: Int64) throws -> OutcomeSubject?
    /// Moves the dispatch, and its message when it has one (`updated_at` the real time `at`),
    /// to `state`; a nil `reply` keeps the last one.
    func setOutcome(_ id: Int64, message: Int64?, state: DispatchState, reply: String?, nextAttempt: Date?, at: Date) throws
    /// Makes an interrupted dispatch and its message `ambiguous`.
    func markAmbiguous(_ id: Int64, at: Date) throws
    /// The id of the invoice's dispatch for `stage`; nil when it has none.
    func dispatchID(invoice: String, stage: String) throws -> Int64?
    func dispatch(_ id: Int64) throws -> Dispatch
    /// Moves the dispatch to `state` with no retry time (`invoice resolve`).
    func settle(_ id: Int64, to state: DispatchState) throws
    /// Makes the dispatch `released`, queued again at `queuedAt` with no retry time (`invoice requeue`).
    func requeue(_ id: Int64, queuedAt: Date) throws
}

extension DispatchOutcome {
    /// What the ledger stores for the outcome: the dispatch's (and its message's) new state,
    /// the reply kept (nil keeps the last one) and when it is tried again.
    public var stored: (state: DispatchState, reply: String?, nextAttempt: Date?) {
        switch self {
        case .sent(let text): (.sent, text, nil)
        case .retry(let at, let text): (.retrying, text, at)
        case .failed(let text): (.failed, text, nil)
        case .done: (.done, nil, nil)
        case .ambiguous(let text): (.ambiguous, text, nil)
        case .withdrawn(let reason): (.withdrawn, "withdrawn: \(reason)", nil)
        }
    }
}

/// The dispatch outbox's rules, one implementation for every store: what queueing, an outcome,
/// an interrupted send, `invoice resolve` and `invoice requeue` do to dispatches, and the audit
/// entries that record it. A dispatch row is written (`queued`) before anything is sent and is
/// never deleted; the stores' `UNIQUE (invoice, stage)` is what makes "each stage at most once,
/// ever" hold across restarts, crashes and concurrent ticks, not a check here.
public enum OutboxRules {
    /// Inserts each new (invoice, stage) as `queued`, audited `reminder.queued` plus one
    /// `reminder.superseded` per stage it skipped. Pairs already dispatched are skipped silently
    /// (no row, no audit). An unknown invoice is 65 (the caller's transaction queues nothing).
    public static func queue(_ items: [NewDispatch], in writer: some OutboxWriter, audit: inout some AuditSink,
                             context: ChangeContext) throws -> [Dispatch] {
        var created: [Dispatch] = []
        // The instant the tick decided at (`--as-of`): `give_up_after` counts from here.
        let queuedAt = storedDate(storedSeconds(context.effectiveNow))
        for item in items {
            guard let invoice = try writer.invoiceOwner(item.invoiceNumber) else { throw invoiceNotFound(item.invoiceNumber) }
            guard let id = try writer.insertDispatch(item, queuedAt: queuedAt) else { continue }
            created.append(Dispatch(id: id, invoiceNumber: item.invoiceNumber, stage: item.stage, action: item.action,
                                    localDate: item.localDate, queuedAt: queuedAt, state: .queued, recipients: item.recipients,
                                    feeMinorUnits: item.feeMinorUnits))
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

    /// Records what became of a send for every dispatch it covered, audited per dispatch:
    /// `reminder.sent` (recipients, Message-ID, the server's reply, the digest of the bytes
    /// sent), `reminder.deferred` (reply and next attempt), `reminder.failed` (reply),
    /// `reminder.ambiguous` (reply), `reminder.withdrawn` (reason). `done` (no mail was due, as
    /// for a write-off) only moves the state; the status change it stands for is audited by
    /// `setInvoiceStatus`. A sent dispatch is charged its fee (`FeeRules.chargeFees`).
    ///
    /// On a ledger several senders share, a dispatch another sender already moved to where this
    /// outcome cannot follow (withdrawn by one, sent by the other; made `ambiguous` while this
    /// sender was cut off, then deferred) keeps its state and gets no entry: what is on record
    /// stays, and nothing is sent twice.
    public static func record(_ recorded: RecordedOutcome, in writer: some OutboxWriter, audit: inout some AuditSink,
                              context: ChangeContext) throws {
        let outcome = recorded.outcome
        let (state, reply, nextAttempt) = outcome.stored
        var recordedIDs: [Int64] = []
        for id in recorded.dispatchIDs {
            guard let subject = try writer.outcomeSubject(id) else { throw OverdueError(.dataError, "dispatch \(id): not found") }
            if let current = subject.state, current != .sending, !current.canMove(to: state) { continue }
            try writer.setOutcome(id, message: subject.message, state: state, reply: reply, nextAttempt: nextAttempt, at: context.at)
            recordedIDs.append(id)
            let event: AuditEvent
            var details: [(String, JSONValue)] = [("recipients", .strings(subject.recipients)), ("message_id", .optional(subject.messageID))]
            switch outcome {
            case .sent(let text):
                event = .reminderSent
                details.append(("reply", .string(text)))
                if let sha256 = subject.sha256 { details.append(("sha256", .string(sha256))) }
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
            details.append(("attempts", .int(subject.attempts)))
            try audit.append(AuditRecord(event, invoice: subject.invoice, client: subject.clientID, stage: subject.stage, details: details))
        }
        if case .sent = outcome { try FeeRules.chargeFees(forSent: recordedIDs, in: writer, audit: &audit, context: context) }
    }

    /// Dispatches whose send was interrupted (their sender died mid-send; the server may or may
    /// not have the message) become `ambiguous`, audited, and are not retried by themselves: a
    /// duplicate dunning letter is worse than a late one, so the owner decides with
    /// `invoice resolve`. Returns them as they are now.
    public static func markAmbiguous(_ interrupted: [Dispatch], in writer: some OutboxWriter, audit: inout some AuditSink,
                                     context: ChangeContext) throws -> [Dispatch] {
        var marked = interrupted
        for index in marked.indices {
            let dispatch = marked[index]
            try writer.markAmbiguous(dispatch.id, at: context.at)
            marked[index].state = .ambiguous
            try audit.append(AuditRecord(.reminderAmbiguous, invoice: dispatch.invoiceNumber,
                                         client: try writer.invoice(dispatch.invoiceNumber)?.clientID, stage: dispatch.stage,
                                         details: [("recipients", .strings(dispatch.recipients)),
                                                   ("message_id", .optional(dispatch.messageID)),
                                                   ("attempts", .int(Int64(dispatch.attempts)))]))
        }
        return marked
    }

    /// Settles an `ambiguous` dispatch: `sent` records it delivered (`sent`, its fee charged),
    /// otherwise it is `released` to go out on the next tick; either way audited
    /// `reminder.resolved` with the resolution. Anything but an ambiguous dispatch is 65.
    public static func resolveAmbiguous(invoice number: String, stage: String, sent: Bool, in writer: some OutboxWriter,
                                        audit: inout some AuditSink, context: ChangeContext) throws {
        let (invoice, dispatch) = try dispatch(of: number, stage: stage, in: writer)
        guard dispatch.state == .ambiguous else {
            throw OverdueError(.dataError, "invoice \(number) stage \(stage): is \(dispatch.state.rawValue), not ambiguous")
        }
        try writer.settle(dispatch.id, to: sent ? .sent : .released)
        try audit.append(AuditRecord(.reminderResolved, invoice: number, client: invoice.clientID, stage: stage, details: [
            ("resolution", .string(sent ? "sent" : "resend")), ("message_id", .optional(dispatch.messageID)),
        ]))
        if sent { try FeeRules.chargeFees(forSent: [dispatch.id], in: writer, audit: &audit, context: context) }
    }

    /// Releases a `failed` dispatch to go out again on the next tick, audited `reminder.requeued`
    /// with the reply it had failed with. Its retry schedule and `give_up_after` start afresh
    /// from now (`--as-of`). Anything but a failed dispatch is 65.
    public static func requeueFailed(invoice number: String, stage: String, in writer: some OutboxWriter,
                                     audit: inout some AuditSink, context: ChangeContext) throws {
        let (invoice, dispatch) = try dispatch(of: number, stage: stage, in: writer)
        guard dispatch.state == .failed else {
            throw OverdueError(.dataError, "invoice \(number) stage \(stage): is \(dispatch.state.rawValue), not failed")
        }
        try writer.requeue(dispatch.id, queuedAt: context.effectiveNow)
        try audit.append(AuditRecord(.reminderRequeued, invoice: number, client: invoice.clientID, stage: stage, details: [
            ("message_id", .optional(dispatch.messageID)), ("reply", .optional(dispatch.lastReply)),
            ("attempts", .int(Int64(dispatch.attempts))),
        ]))
    }

    /// The invoice and its dispatch for `stage`: 65 when either is unknown.
    private static func dispatch(of number: String, stage: String, in writer: some OutboxWriter) throws -> (Invoice, Dispatch) {
        guard let invoice = try writer.invoice(number) else { throw invoiceNotFound(number) }
        guard let id = try writer.dispatchID(invoice: number, stage: stage) else {
            throw OverdueError(.dataError, "invoice \(number): no dispatch for stage \(stage)")
        }
        return (invoice, try writer.dispatch(id))
    }
}
