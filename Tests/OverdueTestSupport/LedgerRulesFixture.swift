import Foundation
import OverdueCore

/// The audit entries a rule appended, as the chain would hash them (event, keys, details JSON).
public struct RecordedAudit: AuditSink {
    public private(set) var records: [AuditRecord] = []

    public init() {}

    public mutating func append(_ record: AuditRecord) throws { records.append(record) }

    public var events: [String] { records.map(\.event.rawValue) }
    /// Each entry as `event invoice client stage {details}`, the parts a hash covers.
    public var lines: [String] {
        records.map { "\($0.event.rawValue) \($0.invoice ?? "-") \($0.client ?? "-") \($0.stage ?? "-") \(AuditChain.detailsJSON($0.details))" }
    }
}

/// The ledger rules' primitives over plain dictionaries: the I/O a store does, nothing of the
/// rules themselves, so a Core rule test checks the rule alone and the runtime tests' memory
/// ledger runs the same rules as the SQLite and PostgreSQL stores. A dispatch moves only as the
/// Core lifecycle allows, as the stores' trigger does.
public final class RulesLedger {
    public let eur = Currency(code: "EUR")!
    public var invoices: [String: Invoice] = [:]
    public var clients: [String: Client] = [:]
    public var dispatches: [Int64: Dispatch] = [:]
    /// Fee rows, oldest first: (invoice, dispatch id, stage, amount, charged at, waived at, reason).
    public var fees: [(invoice: String, dispatch: Int64, stage: String, amount: Int64, chargedAt: Date, waivedAt: Date?, reason: String?)] = []
    /// Every `updated_at` written, by invoice number.
    public var invoiceUpdates: [String: Date] = [:]
    /// The state written to each message row, by its key (a dispatch with a Message-ID is linked
    /// to message row 100 + its id).
    public var messageStates: [Int64: DispatchState] = [:]
    /// The digest of the bytes kept of a dispatch's message, by dispatch id.
    public var messageDigests: [Int64: String] = [:]
    /// Set by a test: dispatch states are read back, as on a ledger several senders share.
    public var sharedBySenders = false
    /// Inbound rows: key → (kind, client, invoice, note).
    public var inbound: [String: (kind: String, client: String?, invoice: String?, note: String?)] = [:]
    /// Failing addresses by client.
    public var failing: [String: Set<String>] = [:]
    /// The reason each invoice or client was held with, by number or id.
    public var holds: [String: String] = [:]
    /// Payment rows, in the order stored.
    public var payments: [(identity: PaymentIdentity, reference: String?, at: Date)] = []

    public init() {}

    public func addInvoice(_ number: String, amount: Int64 = 100_00, paid: Int64 = 0, fees: Int64 = 0,
                           status: InvoiceStatus = .open, client: String = "acme", onHold: Bool = false) {
        invoices[number] = Invoice(number: number, clientID: client, issueDate: LocalDate("2026-01-01")!,
                                   dueDate: LocalDate("2026-02-01")!, amount: Money(minorUnits: amount, currency: eur),
                                   paid: Money(minorUnits: paid, currency: eur), status: status, onHold: onHold,
                                   fees: Money(minorUnits: fees, currency: eur))
    }

    public func addDispatch(_ id: Int64, invoice: String, stage: String, state: DispatchState, fee: Int64 = 0,
                            recipients: [String] = ["ap@acme.example"], attempts: Int = 1, messageID: String? = nil,
                            sha256: String? = nil) {
        dispatches[id] = Dispatch(id: id, invoiceNumber: invoice, stage: stage, action: .email, localDate: LocalDate("2026-02-08")!,
                                  queuedAt: Date(timeIntervalSince1970: 1_770_000_000), state: state, attempts: attempts,
                                  messageID: messageID, recipients: recipients, feeMinorUnits: fee)
        messageDigests[id] = sha256
    }

    /// What the stores' lifecycle trigger allows, and nothing else.
    private func move(_ id: Int64, to state: DispatchState) throws {
        guard let row = dispatches[id], row.state.canMove(to: state) else {
            throw OverdueError(.dataError, "dispatch \(id): cannot become \(state.rawValue)")
        }
        dispatches[id]!.state = state
    }
}

extension RulesLedger: FeeWriter {
    public func invoice(_ number: String) throws -> Invoice? { invoices[number] }

    public func sentDispatchFee(_ id: Int64) throws -> (invoice: String, stage: String, feeMinorUnits: Int64)? {
        guard let dispatch = dispatches[id], dispatch.state == .sent, dispatch.feeMinorUnits > 0 else { return nil }
        return (dispatch.invoiceNumber, dispatch.stage, dispatch.feeMinorUnits)
    }

    public func insertFee(invoice: String, dispatch: Int64, stage: String, amountMinorUnits: Int64, chargedAt: Date) throws -> Bool {
        guard !fees.contains(where: { $0.dispatch == dispatch }) else { return false }
        fees.append((invoice, dispatch, stage, amountMinorUnits, chargedAt, nil, nil))
        return true
    }

    public func unwaivedFees(invoice: String) throws -> [(stage: String, amountMinorUnits: Int64)] {
        fees.filter { $0.invoice == invoice && $0.waivedAt == nil }.map { ($0.stage, $0.amount) }
    }

    public func waiveFees(invoice: String, reason: String?, at: Date) throws {
        for index in fees.indices where fees[index].invoice == invoice && fees[index].waivedAt == nil {
            fees[index].waivedAt = at
            fees[index].reason = reason
        }
    }

    public func setFees(invoice: String, feesMinorUnits: Int64, status: InvoiceStatus, at: Date) throws {
        invoices[invoice]!.fees = Money(minorUnits: feesMinorUnits, currency: invoices[invoice]!.currency)
        invoices[invoice]!.status = status
        invoiceUpdates[invoice] = at
    }
}

extension RulesLedger: OutboxWriter {
    public func invoiceOwner(_ number: String) throws -> (clientID: String, currency: Currency)? {
        invoices[number].map { ($0.clientID, $0.currency) }
    }

    public func insertDispatch(_ item: NewDispatch, queuedAt: Date) throws -> Int64? {
        guard !dispatches.values.contains(where: { $0.invoiceNumber == item.invoiceNumber && $0.stage == item.stage }) else { return nil }
        let id = (dispatches.keys.max() ?? 0) + 1
        dispatches[id] = Dispatch(id: id, invoiceNumber: item.invoiceNumber, stage: item.stage, action: item.action,
                                  localDate: item.localDate, queuedAt: queuedAt, state: .queued, recipients: item.recipients,
                                  feeMinorUnits: item.feeMinorUnits)
        return id
    }

    public func outcomeSubject(_ id: Int64) throws -> OutcomeSubject? {
        guard let row = dispatches[id] else { return nil }
        return OutcomeSubject(invoice: row.invoiceNumber, stage: row.stage, attempts: Int64(row.attempts), recipients: row.recipients,
                              message: row.messageID == nil ? nil : 100 + id, messageID: row.messageID,
                              clientID: invoices[row.invoiceNumber]?.clientID, sha256: messageDigests[id],
                              state: sharedBySenders ? row.state : nil)
    }

    public func setOutcome(_ id: Int64, message: Int64?, state: DispatchState, reply: String?, nextAttempt: Date?, at: Date) throws {
        try move(id, to: state)
        dispatches[id]!.lastReply = reply ?? dispatches[id]!.lastReply
        dispatches[id]!.nextAttemptAt = nextAttempt
        if let message { messageStates[message] = state }
    }

    public func markAmbiguous(_ id: Int64, at: Date) throws { try move(id, to: .ambiguous) }

    public func dispatchID(invoice: String, stage: String) throws -> Int64? {
        dispatches.values.first { $0.invoiceNumber == invoice && $0.stage == stage }?.id
    }

    public func dispatch(_ id: Int64) throws -> Dispatch {
        guard let row = dispatches[id] else { throw OverdueError(.dataError, "dispatch \(id): not found") }
        return row
    }

    public func settle(_ id: Int64, to state: DispatchState) throws {
        try move(id, to: state)
        dispatches[id]!.nextAttemptAt = nil
    }

    public func requeue(_ id: Int64, queuedAt: Date) throws {
        try move(id, to: .released)
        dispatches[id]!.nextAttemptAt = nil
        dispatches[id]!.queuedAt = queuedAt
    }
}

extension RulesLedger: InboxWriter {
    public func inboundRecorded(_ key: String) throws -> Bool { inbound[key] != nil }

    public func insertInbound(_ message: InboundRecord, kind: String, client: String?, invoice: String?, note: String?, at: Date) throws {
        inbound[message.key] = (kind, client, invoice, note)
    }

    public func client(_ id: String) throws -> Client? { clients[id] }

    public func holdInvoice(_ number: String, reason: String, at: Date) throws {
        invoices[number]!.onHold = true
        invoices[number]!.holdReason = reason
        holds[number] = reason
    }

    public func holdClient(_ id: String, reason: String, at: Date) throws {
        clients[id]!.onHold = true
        holds[id] = reason
    }

    public func markFailing(client: String, address: String, status: String, at: Date) throws { failing[client, default: []].insert(address) }

    public func forgetFailing(client: String, address: String) throws { failing[client]?.remove(address) }

    public func failingAddresses(client: String) throws -> Set<String> { failing[client] ?? [] }
}

extension RulesLedger: PaymentWriter {
    public func paymentRecorded(_ identity: PaymentIdentity) throws -> Bool { payments.contains { $0.identity == identity } }

    public func insertPayment(invoice: String, amount: Money, on date: LocalDate, reference: String?, at: Date) throws {
        payments.append((PaymentIdentity(invoice: invoice, date: date, minorUnits: amount.minorUnits, reference: reference ?? ""),
                         reference, at))
    }

    public func addPaid(invoice: String, amountMinorUnits: Int64, status: InvoiceStatus, at: Date) throws {
        invoices[invoice]!.paid = Money(minorUnits: invoices[invoice]!.paid.minorUnits + amountMinorUnits, currency: eur)
        invoices[invoice]!.status = status
        invoiceUpdates[invoice] = at
    }
}

extension RulesLedger: StatusWriter {
    public func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, at: Date) throws {
        invoices[number]!.onHold = onHold
        invoices[number]!.holdReason = reason
        invoiceUpdates[number] = at
    }

    public func setInvoiceStatus(_ number: String, to status: InvoiceStatus, at: Date) throws {
        invoices[number]!.status = status
        invoiceUpdates[number] = at
    }

    public func setClientHold(_ id: String, onHold: Bool, reason: String?, at: Date) throws {
        clients[id]!.onHold = onHold
        clients[id]!.holdReason = reason
    }

    public func setClientBlocked(_ id: String, blocked: Bool, reason: String?, at: Date) throws {
        clients[id]!.blocked = blocked
        clients[id]!.blockReason = reason
    }

    public func forgetFailing(client: String) throws { failing[client] = nil }
}

extension RulesLedger: InvoiceContextReader {
    public func dispatches(invoice: String) throws -> [Dispatch] {
        dispatches.values.filter { $0.invoiceNumber == invoice }.sorted { $0.id < $1.id }
    }

    public func payments(invoice: String, currency: Currency) throws -> [Payment] {
        payments.filter { $0.identity.invoice == invoice }.map {
            Payment(amount: Money(minorUnits: $0.identity.minorUnits, currency: currency), paidOn: $0.identity.date, recordedAt: $0.at)
        }
    }
}
