import Foundation
import OverdueCore

/// The ledger a tick and the daemon need (`TickLedger`), in memory: the outbox keeps the rules
/// the runtime relies on (one dispatch per (invoice, stage), moves only by the Core lifecycle
/// `DispatchState.applying`, a failed mark changes nothing, unsent members put back as read)
/// and the audit trail chains its hashes, so the runtime is tested without SQLite.
final class MemoryLedger: Outbox, PlanningSource, AuditLog, DaemonState {
    private(set) var invoices: [String: Invoice] = [:]
    private var clients: [String: Client] = [:]
    private var rows: [Int64: Dispatch] = [:]
    private var nextID: Int64 = 1
    private var entries: [AuditEntry] = []
    private var values: [String: String] = [:]
    private(set) var lockedForSending = false
    private(set) var closed = false
    /// Set by a test: the next `checkStillOnDisk` fails as for a deleted ledger file.
    var detached = false
    var onPersistenceFailure: (@Sendable (String) -> Void)?

    init(clients: [Client], invoices: [Invoice]) {
        for client in clients { self.clients[client.id] = client }
        for invoice in invoices { self.invoices[invoice.number] = invoice }
    }

    private func checkOpen() throws {
        if closed { throw OverdueError(.ioError, "memory ledger: closed") }
    }

    private func notFound(_ number: String) -> OverdueError { OverdueError(.dataError, "invoice \(number): not found") }

    // MARK: PlanningSource

    func forEachInvoiceContext(_ body: (InvoiceContext) throws -> Void) throws {
        try checkOpen()
        for number in invoices.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            if let context = try invoiceContext(number) { try body(context) }
        }
    }

    func invoiceContext(_ number: String) throws -> InvoiceContext? {
        try checkOpen()
        guard let invoice = invoices[number], let client = clients[invoice.clientID] else { return nil }
        let history = rows.values.filter { $0.invoiceNumber == number }.sorted { $0.id < $1.id }
        return InvoiceContext(invoice: invoice, client: client, dispatches: history)
    }

    func dispatchedStageNames() throws -> Set<String> { Set(rows.values.map(\.stage)) }

    // MARK: Outbox

    func queue(_ items: [NewDispatch], context: ChangeContext) throws -> [Dispatch] {
        try checkOpen()
        guard let unknown = items.first(where: { invoices[$0.invoiceNumber] == nil }) else {
            var created: [Dispatch] = []
            for item in items where !rows.values.contains(where: { $0.invoiceNumber == item.invoiceNumber && $0.stage == item.stage }) {
                let dispatch = Dispatch(id: nextID, invoiceNumber: item.invoiceNumber, stage: item.stage, action: item.action,
                                        localDate: item.localDate, queuedAt: context.effectiveNow, state: .queued,
                                        recipients: item.recipients, feeMinorUnits: item.feeMinorUnits)
                nextID += 1
                rows[dispatch.id] = dispatch
                created.append(dispatch)
                try appendAudit([AuditRecord(.reminderQueued, invoice: item.invoiceNumber, stage: item.stage)]
                                + item.superseded.map { AuditRecord(.reminderSuperseded, invoice: item.invoiceNumber, stage: $0) },
                                context: context)
            }
            return created
        }
        throw notFound(unknown.invoiceNumber)
    }

    func markSending(_ marks: [SendingMark], context: ChangeContext) throws -> [Int64] {
        try checkOpen()
        for id in marks.flatMap(\.dispatchIDs) {
            guard let row = rows[id], row.state.applying(.markSending) != nil else {
                throw OverdueError(.dataError, "dispatch \(id): cannot be sent")
            }
        }
        for mark in marks {
            for id in mark.dispatchIDs {
                rows[id]!.state = .sending
                rows[id]!.messageID = mark.messageID
                rows[id]!.recipients = mark.recipients
                rows[id]!.attempts += 1
                rows[id]!.nextAttemptAt = nil
                rows[id]!.subject = mark.subject ?? rows[id]!.subject
            }
        }
        return marks.flatMap(\.dispatchIDs)
    }

    func recordOutcome(_ ids: [Int64], _ outcome: DispatchOutcome, context: ChangeContext) throws {
        try recordOutcomes([RecordedOutcome(dispatchIDs: ids, outcome)], unsent: [], context: context)
    }

    func recordOutcomes(_ outcomes: [RecordedOutcome], unsent: [Dispatch], context: ChangeContext) throws {
        try checkOpen()
        for recorded in outcomes {
            let (event, audit, reply, next): (DispatchEvent, AuditEvent?, String?, Date?)
            switch recorded.outcome {
            case .sent(let text): (event, audit, reply, next) = (.delivered, .reminderSent, text, nil)
            case .retry(let at, let text): (event, audit, reply, next) = (.deferred, .reminderDeferred, text, at)
            case .failed(let text): (event, audit, reply, next) = (.failed, .reminderFailed, text, nil)
            case .done: (event, audit, reply, next) = (.carriedOut, nil, nil, nil)
            case .ambiguous(let text): (event, audit, reply, next) = (.lostInFlight, .reminderAmbiguous, text, nil)
            case .withdrawn(let reason): (event, audit, reply, next) = (.withdrawn, .reminderWithdrawn, "withdrawn: \(reason)", nil)
            }
            for id in recorded.dispatchIDs {
                guard let row = rows[id], let state = row.state.applying(event) else {
                    throw OverdueError(.dataError, "dispatch \(id): \(event) is not allowed here")
                }
                rows[id]!.state = state
                rows[id]!.lastReply = reply ?? row.lastReply
                rows[id]!.nextAttemptAt = next
                if let audit { try appendAudit([AuditRecord(audit, invoice: row.invoiceNumber, stage: row.stage)], context: context) }
            }
        }
        for earlier in unsent {
            guard let row = rows[earlier.id], row.state.applying(.putBack(to: earlier.state)) != nil else {
                throw OverdueError(.dataError, "dispatch \(earlier.id): cannot be put back")
            }
            rows[earlier.id] = earlier
        }
    }

    func dispatches(in states: Set<DispatchState>) throws -> [Dispatch] {
        try checkOpen()
        return rows.values.filter { states.contains($0.state) }.sorted { $0.id < $1.id }
    }

    func markInterruptedAsAmbiguous(context: ChangeContext) throws -> [Dispatch] {
        let interrupted = try dispatches(in: [.sending])
        for dispatch in interrupted {
            rows[dispatch.id]!.state = .ambiguous
            try appendAudit([AuditRecord(.reminderAmbiguous, invoice: dispatch.invoiceNumber, stage: dispatch.stage)], context: context)
        }
        return interrupted.map { rows[$0.id]! }
    }

    func setInvoiceStatus(_ number: String, to status: InvoiceStatus, reason: String?, context: ChangeContext) throws {
        try checkOpen()
        guard invoices[number] != nil else { throw notFound(number) }
        invoices[number]!.status = status
        let event: AuditEvent = switch status {
        case .escalated: .invoiceEscalated
        case .writtenOff: .invoiceWrittenOff
        default: .invoiceCancelled
        }
        try appendAudit([AuditRecord(event, invoice: number, details: [("reason", .string(reason ?? ""))])], context: context)
    }

    func lockForSending() throws {
        try checkOpen()
        lockedForSending = true
    }

    func checkStillOnDisk() throws {
        if detached { throw OverdueError(.ioError, "memory ledger: no longer on disk") }
    }

    func close() { closed = true }

    // MARK: AuditLog

    func appendAudit(_ records: [AuditRecord], context: ChangeContext) throws {
        try checkOpen()
        for record in records {
            var entry = AuditEntry(seq: Int64(entries.count + 1), at: context.at, asOf: context.asOf, event: record.event.rawValue,
                                   invoice: record.invoice, client: record.client, stage: record.stage,
                                   detailsJSON: AuditChain.detailsJSON(record.details),
                                   prevHash: entries.last?.hash ?? AuditChain.genesis, hash: "")
            entry.hash = AuditChain.hash(of: entry)
            entries.append(entry)
        }
    }

    func auditEntries(_ filter: AuditFilter, _ body: (AuditEntry) throws -> Void) throws {
        for entry in entries where filter.event.map({ $0 == entry.event }) ?? true {
            try body(entry)
        }
    }

    func verifyAudit() throws -> (seq: Int64, problem: String)? { AuditChain.firstBreak(in: entries) }

    /// The events recorded so far, in order.
    var events: [String] { entries.map(\.event) }

    // MARK: DaemonState

    func meta(_ key: String) throws -> String? { values[key] }
    func setMeta(_ key: String, _ value: String) throws { values[key] = value }
}
