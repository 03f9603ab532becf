import Foundation

/// What reading one invoice's context needs of a store, inside the caller's read transaction.
public protocol InvoiceContextReader {
    func invoice(_ number: String) throws -> Invoice?
    func client(_ id: String) throws -> Client?
    /// The lower-cased addresses of a client that bounced.
    func failingAddresses(client: String) throws -> Set<String>
    /// Every dispatch of the invoice, oldest first.
    func dispatches(invoice: String) throws -> [Dispatch]
    /// Every payment of the invoice, oldest first.
    func payments(invoice: String, currency: Currency) throws -> [Payment]
}

/// What planning reads, assembled the same way from either store.
extension InvoiceContext {
    /// Streams every invoice with its client and dispatch history: `invoices` yields the
    /// invoices in number byte order and `history` every dispatch ordered by invoice number
    /// (the same order), then id; the two are walked in step, comparing numbers as UTF-8 bytes
    /// as the stores' collation does, so only `clients` is held in memory. An invoice whose
    /// client is missing is 74, naming `ledger`.
    @inlinable
    public static func merge(invoices nextInvoice: () throws -> Invoice?, history nextDispatch: () throws -> Dispatch?,
                             clients: ClientTable, ledger: String, _ body: (InvoiceContext) throws -> Void) throws {
        var pending = try nextDispatch()
        while let invoice = try nextInvoice() {
            guard let client = clients.row(id: invoice.clientID) else {
                throw OverdueError(.ioError, "\(ledger): invoice \(invoice.number): client \(invoice.clientID) is missing")
            }
            var dispatches: [Dispatch] = []
            while let next = pending, !invoice.number.utf8.lexicographicallyPrecedes(next.invoiceNumber.utf8) {
                if next.invoiceNumber == invoice.number { dispatches.append(next) }
                pending = try nextDispatch()
            }
            try body(InvoiceContext(invoice: invoice, client: client, dispatches: dispatches))
        }
    }

    /// One invoice with its client (without the addresses that bounced), its dispatches and
    /// its payments, as a message about it is composed; nil when there is no such invoice.
    public static func read(_ number: String, from reader: some InvoiceContextReader, ledger: String) throws -> InvoiceContext? {
        guard let invoice = try reader.invoice(number) else { return nil }
        guard let client = try reader.client(invoice.clientID) else {
            throw OverdueError(.ioError, "\(ledger): invoice \(number): client \(invoice.clientID) is missing")
        }
        var context = InvoiceContext(invoice: invoice, client: client.withoutFailing(try reader.failingAddresses(client: client.id)),
                                     dispatches: try reader.dispatches(invoice: number))
        context.payments = try reader.payments(invoice: number, currency: invoice.currency)
        return context
    }
}
