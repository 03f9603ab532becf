import Foundation

/// What holding, blocking and moving invoices and clients needs of a store, inside the
/// caller's write transaction. Each setter stores the real time `at` as `updated_at`.
public protocol StatusWriter {
    func invoice(_ number: String) throws -> Invoice?
    func client(_ id: String) throws -> Client?
    func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, at: Date) throws
    func setInvoiceStatus(_ number: String, to status: InvoiceStatus, at: Date) throws
    func setClientHold(_ id: String, onHold: Bool, reason: String?, at: Date) throws
    func setClientBlocked(_ id: String, blocked: Bool, reason: String?, at: Date) throws
    /// Forgets every address of the client that bounced.
    func forgetFailing(client: String) throws
}

/// The rules of the owner's holds and blocks and of an invoice's status, one implementation
/// for every store. Asking for the state something is already in, with the same reason,
/// changes and records nothing.
public enum StatusRules {
    /// Holds or releases an invoice (`invoice.held` with the reason / `invoice.released`).
    public static func setInvoiceHold(_ number: String, onHold: Bool, reason: String?, in writer: some StatusWriter,
                                      audit: inout some AuditSink, context: ChangeContext) throws {
        guard let invoice = try writer.invoice(number) else { throw invoiceNotFound(number) }
        let newReason = onHold ? reason : nil
        if invoice.onHold == onHold, invoice.holdReason == newReason { return }
        try writer.setInvoiceHold(number, onHold: onHold, reason: newReason, at: context.at)
        try audit.append(AuditRecord(onHold ? .invoiceHeld : .invoiceReleased, invoice: number, client: invoice.clientID,
                                     details: [("reason", .optional(reason))]))
    }

    /// Holds or releases every invoice of a client (`client.held` / `client.released`).
    /// Releasing a client is the owner saying its addresses are worth trying again: their
    /// bounces are forgotten, even when the client was not held.
    public static func setClientHold(_ id: String, onHold: Bool, reason: String?, in writer: some StatusWriter,
                                     audit: inout some AuditSink, context: ChangeContext) throws {
        guard let client = try writer.client(id) else { throw clientNotFound(id) }
        let newReason = onHold ? reason : nil
        if !onHold { try writer.forgetFailing(client: id) }
        if client.onHold == onHold, client.holdReason == newReason { return }
        try writer.setClientHold(id, onHold: onHold, reason: newReason, at: context.at)
        try audit.append(AuditRecord(onHold ? .clientHeld : .clientReleased, client: id, details: [("reason", .optional(reason))]))
    }

    /// Blocks a client for good (never reminded again; `client.blocked`) or lifts it
    /// (`client.unblocked`).
    public static func setClientBlocked(_ id: String, blocked: Bool, reason: String?, in writer: some StatusWriter,
                                        audit: inout some AuditSink, context: ChangeContext) throws {
        guard let client = try writer.client(id) else { throw clientNotFound(id) }
        let newReason = blocked ? reason : nil
        if client.blocked == blocked, client.blockReason == newReason { return }
        try writer.setClientBlocked(id, blocked: blocked, reason: newReason, at: context.at)
        try audit.append(AuditRecord(blocked ? .clientBlocked : .clientUnblocked, client: id, details: [("reason", .optional(reason))]))
    }

    /// A move of an invoice to `cancelled`, `escalated` or `written_off`, checked before any
    /// transaction: `open` and `paid` cannot be set by hand (65).
    public struct StatusChange: Sendable {
        public let number: String
        public let status: InvoiceStatus
        let event: AuditEvent
        let allowedFrom: Set<InvoiceStatus>
    }

    public static func statusChange(_ number: String, to status: InvoiceStatus) throws -> StatusChange {
        switch status {
        case .cancelled: StatusChange(number: number, status: status, event: .invoiceCancelled, allowedFrom: [.open, .escalated, .writtenOff])
        case .escalated: StatusChange(number: number, status: status, event: .invoiceEscalated, allowedFrom: [.open])
        case .writtenOff: StatusChange(number: number, status: status, event: .invoiceWrittenOff, allowedFrom: [.open, .escalated])
        case .open, .paid:
            throw OverdueError(.dataError, "invoice \(number): cannot be set to \(status.rawValue) by hand")
        }
    }
}

extension StatusRules.StatusChange {
    /// Moves the invoice, audited with its old status and the reason. Allowed: open → any of
    /// them, escalated → written_off or cancelled, written_off → cancelled. The status it
    /// already has is a no-op; anything else is 65.
    public func apply(reason: String?, in writer: some StatusWriter, audit: inout some AuditSink, context: ChangeContext) throws {
        guard let invoice = try writer.invoice(number) else { throw invoiceNotFound(number) }
        if invoice.status == status { return }
        guard allowedFrom.contains(invoice.status) else {
            throw OverdueError(.dataError, "invoice \(number): is \(invoice.status.rawValue); cannot become \(status.rawValue)")
        }
        try writer.setInvoiceStatus(number, to: status, at: context.at)
        try audit.append(AuditRecord(event, invoice: number, client: invoice.clientID, details: [
            ("from", .string(invoice.status.rawValue)), ("reason", .optional(reason)),
        ]))
    }
}
