import Foundation
import OverdueCore

/// The ledger a tick and the daemon need (`TickLedger`), in memory: the outbox runs the stores'
/// own rules (`OutboxRules` over in-memory primitives: one dispatch per (invoice, stage), fees
/// charged when sent, the same audit entries), moves only as the Core lifecycle allows (as the
/// stores' trigger does), a failed call changes nothing (as a rolled-back transaction), unsent
/// members are put back as read, and the audit trail chains its hashes, so the runtime is
/// tested without SQLite.
final class MemoryLedger: Outbox, PlanningSource, AuditLog, DaemonState {
    private(set) var invoices: [String: Invoice] = [:]
    private var clients: [String: Client] = [:]
    private var rows: [Int64: Dispatch] = [:]
    /// Charged fees: dispatch id → (invoice, stage, amount, waived).
    private var fees: [Int64: (invoice: String, stage: String, amount: Int64, waived: Bool)] = [:]
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
        try transaction(context) { audit in try OutboxRules.queue(items, in: self, audit: &audit, context: context) }
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
        try transaction(context) { audit in
            for recorded in outcomes { try OutboxRules.record(recorded, in: self, audit: &audit, context: context) }
            for earlier in unsent {
                guard let row = rows[earlier.id], row.state.applying(.putBack(to: earlier.state)) != nil else {
                    throw OverdueError(.dataError, "dispatch \(earlier.id): cannot be put back")
                }
                rows[earlier.id] = earlier
            }
        }
    }

    func dispatches(in states: Set<DispatchState>) throws -> [Dispatch] {
        try checkOpen()
        return rows.values.filter { states.contains($0.state) }.sorted { $0.id < $1.id }
    }

    func markInterruptedAsAmbiguous(context: ChangeContext) throws -> [Dispatch] {
        let interrupted = try dispatches(in: [.sending])
        return try transaction(context) { audit in try OutboxRules.markAmbiguous(interrupted, in: self, audit: &audit, context: context) }
    }

    func setInvoiceStatus(_ number: String, to status: InvoiceStatus, reason: String?, context: ChangeContext) throws {
        let change = try StatusRules.statusChange(number, to: status)
        try transaction(context) { audit in try change.apply(reason: reason, in: self, audit: &audit, context: context) }
    }

    func lockForSending() throws {
        try checkOpen()
        lockedForSending = true
    }

    func checkStillOnDisk() throws {
        if detached { throw OverdueError(.ioError, "memory ledger: no longer on disk") }
    }

    func close() { closed = true }

    /// One "transaction": the body's audit entries are appended when it returns; when it
    /// throws, every change it made is undone.
    private func transaction<T>(_ context: ChangeContext, _ body: (inout CollectedAudit) throws -> T) throws -> T {
        try checkOpen()
        let before = (invoices, rows, fees, nextID)
        do {
            var audit = CollectedAudit()
            let result = try body(&audit)
            try appendAudit(audit.records, context: context)
            return result
        } catch {
            (invoices, rows, fees, nextID) = before
            throw error
        }
    }

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

    func lastAuditEntry(_ filter: AuditFilter) throws -> AuditEntry? {
        var last: AuditEntry?
        try auditEntries(filter) { last = $0 }
        return last
    }

    func verifyAudit() throws -> (seq: Int64, problem: String)? { AuditChain.firstBreak(in: entries) }

    /// The events recorded so far, in order.
    var events: [String] { entries.map(\.event) }

    // MARK: DaemonState

    func meta(_ key: String) throws -> String? { values[key] }
    func setMeta(_ key: String, _ value: String) throws { values[key] = value }
}

/// The audit entries of one memory "transaction", appended to the chain when it ends.
struct CollectedAudit: AuditSink {
    var records: [AuditRecord] = []
    mutating func append(_ record: AuditRecord) throws { records.append(record) }
}

/// The outbox and fee primitives over the memory rows: what the SQLite and PostgreSQL stores do
/// with SQL, so `OutboxRules` runs here as it runs there.
extension MemoryLedger: OutboxWriter {
    func invoice(_ number: String) throws -> Invoice? { invoices[number] }

    func invoiceOwner(_ number: String) throws -> (clientID: String, currency: Currency)? {
        invoices[number].map { ($0.clientID, $0.currency) }
    }

    func insertDispatch(_ item: NewDispatch, queuedAt: Date) throws -> Int64? {
        guard !rows.values.contains(where: { $0.invoiceNumber == item.invoiceNumber && $0.stage == item.stage }) else { return nil }
        let dispatch = Dispatch(id: nextID, invoiceNumber: item.invoiceNumber, stage: item.stage, action: item.action,
                                localDate: item.localDate, queuedAt: queuedAt, state: .queued, recipients: item.recipients,
                                feeMinorUnits: item.feeMinorUnits)
        nextID += 1
        rows[dispatch.id] = dispatch
        return dispatch.id
    }

    func outcomeSubject(_ id: Int64) throws -> OutcomeSubject? {
        guard let row = rows[id] else { return nil }
        return OutcomeSubject(invoice: row.invoiceNumber, stage: row.stage, attempts: Int64(row.attempts), recipients: row.recipients,
                              message: nil, messageID: row.messageID, clientID: invoices[row.invoiceNumber]?.clientID, sha256: nil,
                              state: nil)
    }

    func setOutcome(_ id: Int64, message: Int64?, state: DispatchState, reply: String?, nextAttempt: Date?, at: Date) throws {
        try move(id, to: state)
        rows[id]!.lastReply = reply ?? rows[id]!.lastReply
        rows[id]!.nextAttemptAt = nextAttempt
    }

    func markAmbiguous(_ id: Int64, at: Date) throws { try move(id, to: .ambiguous) }

    func dispatchID(invoice: String, stage: String) throws -> Int64? {
        rows.values.first { $0.invoiceNumber == invoice && $0.stage == stage }?.id
    }

    func dispatch(_ id: Int64) throws -> Dispatch {
        guard let row = rows[id] else { throw OverdueError(.dataError, "dispatch \(id): not found") }
        return row
    }

    func settle(_ id: Int64, to state: DispatchState) throws {
        try move(id, to: state)
        rows[id]!.nextAttemptAt = nil
    }

    func requeue(_ id: Int64, queuedAt: Date) throws {
        try move(id, to: .released)
        rows[id]!.nextAttemptAt = nil
        rows[id]!.queuedAt = queuedAt
    }

    /// What the stores' lifecycle trigger allows, and nothing else.
    private func move(_ id: Int64, to state: DispatchState) throws {
        guard let row = rows[id], row.state.canMove(to: state) else {
            throw OverdueError(.dataError, "dispatch \(id): cannot become \(state.rawValue)")
        }
        rows[id]!.state = state
    }

    func sentDispatchFee(_ id: Int64) throws -> (invoice: String, stage: String, feeMinorUnits: Int64)? {
        guard let row = rows[id], row.state == .sent, row.feeMinorUnits > 0 else { return nil }
        return (row.invoiceNumber, row.stage, row.feeMinorUnits)
    }

    func insertFee(invoice: String, dispatch: Int64, stage: String, amountMinorUnits: Int64, chargedAt: Date) throws -> Bool {
        guard fees[dispatch] == nil else { return false }
        fees[dispatch] = (invoice, stage, amountMinorUnits, false)
        return true
    }

    func unwaivedFees(invoice: String) throws -> [(stage: String, amountMinorUnits: Int64)] {
        fees.sorted { $0.key < $1.key }.filter { $0.value.invoice == invoice && !$0.value.waived }.map { ($0.value.stage, $0.value.amount) }
    }

    func waiveFees(invoice: String, reason: String?, at: Date) throws {
        for (id, fee) in fees where fee.invoice == invoice { fees[id]!.waived = true }
    }

    func setFees(invoice: String, feesMinorUnits: Int64, status: InvoiceStatus, at: Date) throws {
        invoices[invoice]!.fees = Money(minorUnits: feesMinorUnits, currency: invoices[invoice]!.currency)
        invoices[invoice]!.status = status
    }
}

/// What an invoice's status change needs, over the memory rows.
extension MemoryLedger: StatusWriter {
    func client(_ id: String) throws -> Client? { clients[id] }

    func setInvoiceStatus(_ number: String, to status: InvoiceStatus, at: Date) throws { invoices[number]!.status = status }

    func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, at: Date) throws {
        invoices[number]!.onHold = onHold
        invoices[number]!.holdReason = reason
    }

    func setClientHold(_ id: String, onHold: Bool, reason: String?, at: Date) throws {
        clients[id]!.onHold = onHold
        clients[id]!.holdReason = reason
    }

    func setClientBlocked(_ id: String, blocked: Bool, reason: String?, at: Date) throws {
        clients[id]!.blocked = blocked
        clients[id]!.blockReason = reason
    }

    func forgetFailing(client: String) throws {}
}
