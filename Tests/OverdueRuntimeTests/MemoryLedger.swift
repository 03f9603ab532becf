import Foundation
import OverdueCore
import OverdueTestSupport

/// The ledger a tick and the daemon need (`TickLedger`), in memory: the outbox runs the stores'
/// own rules (`OutboxRules` over the Core rule tests' in-memory primitives, `RulesLedger`: one
/// dispatch per (invoice, stage), fees charged when sent, the same audit entries), moves only as
/// the Core lifecycle allows (as the stores' trigger does), a failed call changes nothing (as a
/// rolled-back transaction), unsent members are put back as read, and the audit trail chains its
/// hashes, so the runtime is tested without SQLite.
final class MemoryLedger: Outbox, PlanningSource, AuditLog, DaemonState {
    /// The rows the rules read and write.
    private let rows = RulesLedger()
    private var entries: [AuditEntry] = []
    private var values: [String: String] = [:]
    private(set) var lockedForSending = false
    private(set) var closed = false
    /// Set by a test: the next `checkStillOnDisk` fails as for a deleted ledger file.
    var detached = false
    var onPersistenceFailure: (@Sendable (String) -> Void)?

    init(clients: [Client], invoices: [Invoice]) {
        for client in clients { rows.clients[client.id] = client }
        for invoice in invoices { rows.invoices[invoice.number] = invoice }
    }

    var invoices: [String: Invoice] { rows.invoices }

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
        guard let invoice = invoices[number], let client = rows.clients[invoice.clientID] else { return nil }
        return InvoiceContext(invoice: invoice, client: client, dispatches: try rows.dispatches(invoice: number))
    }

    func dispatchedStageNames() throws -> Set<String> { Set(rows.dispatches.values.map(\.stage)) }

    // MARK: Outbox

    func queue(_ items: [NewDispatch], context: ChangeContext) throws -> [Dispatch] {
        try transaction(context) { audit in try OutboxRules.queue(items, in: rows, audit: &audit, context: context) }
    }

    func markSending(_ marks: [SendingMark], context: ChangeContext) throws -> [Int64] {
        try checkOpen()
        for id in marks.flatMap(\.dispatchIDs) {
            guard let row = rows.dispatches[id], row.state.applying(.markSending) != nil else {
                throw OverdueError(.dataError, "dispatch \(id): cannot be sent")
            }
        }
        for mark in marks {
            for id in mark.dispatchIDs {
                rows.dispatches[id]!.state = .sending
                rows.dispatches[id]!.messageID = mark.messageID
                rows.dispatches[id]!.recipients = mark.recipients
                rows.dispatches[id]!.attempts += 1
                rows.dispatches[id]!.nextAttemptAt = nil
                rows.dispatches[id]!.subject = mark.subject ?? rows.dispatches[id]!.subject
            }
        }
        return marks.flatMap(\.dispatchIDs)
    }

    func recordOutcome(_ ids: [Int64], _ outcome: DispatchOutcome, context: ChangeContext) throws {
        try recordOutcomes([RecordedOutcome(dispatchIDs: ids, outcome)], unsent: [], context: context)
    }

    func recordOutcomes(_ outcomes: [RecordedOutcome], unsent: [Dispatch], context: ChangeContext) throws {
        try transaction(context) { audit in
            for recorded in outcomes { try OutboxRules.record(recorded, in: rows, audit: &audit, context: context) }
            for earlier in unsent {
                guard let row = rows.dispatches[earlier.id], row.state.applying(.putBack(to: earlier.state)) != nil else {
                    throw OverdueError(.dataError, "dispatch \(earlier.id): cannot be put back")
                }
                rows.dispatches[earlier.id] = earlier
            }
        }
    }

    func dispatches(in states: Set<DispatchState>) throws -> [Dispatch] {
        try checkOpen()
        return rows.dispatches.values.filter { states.contains($0.state) }.sorted { $0.id < $1.id }
    }

    func markInterruptedAsAmbiguous(context: ChangeContext) throws -> [Dispatch] {
        let interrupted = try dispatches(in: [.sending])
        return try transaction(context) { audit in try OutboxRules.markAmbiguous(interrupted, in: rows, audit: &audit, context: context) }
    }

    func setInvoiceStatus(_ number: String, to status: InvoiceStatus, reason: String?, context: ChangeContext) throws {
        let change = try StatusRules.statusChange(number, to: status)
        try transaction(context) { audit in try change.apply(reason: reason, in: rows, audit: &audit, context: context) }
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
    private func transaction<T>(_ context: ChangeContext, _ body: (inout RecordedAudit) throws -> T) throws -> T {
        try checkOpen()
        let before = (rows.invoices, rows.dispatches, rows.fees)
        do {
            var audit = RecordedAudit()
            let result = try body(&audit)
            try appendAudit(audit.records, context: context)
            return result
        } catch {
            (rows.invoices, rows.dispatches, rows.fees) = before
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
