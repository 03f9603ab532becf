/// What the ledger learns without the owner typing it: payments from files (and, as it grows,
/// what the inbox says). Apart from `LedgerStore` so the listening side can change on its own.
public protocol ListeningStore: AnyObject {
    /// Checks a payment file's lines against the ledger and, when every line is good, records
    /// the new ones in one transaction (each audited `payment.recorded`); lines whose identity
    /// is already recorded change nothing. On any problem nothing is recorded and every problem
    /// is returned. `dryRun` checks and counts the same way and writes nothing.
    func importPayments(_ lines: [PaymentLine], source: String, dryRun: Bool,
                        context: ChangeContext) throws -> Result<PaymentImportSummary, CSVImportFailure>
}

/// What a payment file did (or, in a dry run, would do).
public struct PaymentImportSummary: Sendable, Equatable {
    public var recorded: Int
    public var alreadyRecorded: Int
    /// Invoices the file paid in full, by number.
    public var paidInFull: [String]

    public init(recorded: Int, alreadyRecorded: Int, paidInFull: [String]) {
        self.recorded = recorded
        self.alreadyRecorded = alreadyRecorded
        self.paidInFull = paidInFull
    }
}
