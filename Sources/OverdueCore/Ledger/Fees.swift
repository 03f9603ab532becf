import Foundation

/// A late fee charged to an invoice: its stage's message was sent stating it. Never deleted;
/// a waived fee keeps its row (and its audit entries) and stops counting in `Invoice.fees`.
public struct ChargedFee: Hashable, Sendable {
    public var stage: String
    public var amount: Money
    public var chargedAt: Date
    /// Set once the owner waived it (`invoice waive`).
    public var waivedAt: Date?
    public var waiveReason: String?

    public init(stage: String, amount: Money, chargedAt: Date, waivedAt: Date? = nil, waiveReason: String? = nil) {
        self.stage = stage
        self.amount = amount
        self.chargedAt = chargedAt
        self.waivedAt = waivedAt
        self.waiveReason = waiveReason
    }
}

extension Invoice {
    /// The amount a message about this invoice states as owed: the balance (amount + fees
    /// charged - paid) plus the fee of the stage being sent, which is charged only once that
    /// message is sent. `plan`, the tick's messages and `preview` all state this, so the ledger
    /// holds every amount a client is asked for. Saturating: a balance never wraps around.
    public func amountDue(stageFeeMinorUnits fee: Int64) -> Money {
        Money(minorUnits: balance.minorUnits.saturatingAdding(fee), currency: currency)
    }
}

extension Dispatch {
    /// The fee this dispatch's message adds to the balance it states: the fee recorded when it
    /// was queued, until it is sent; a sent dispatch's fee was charged (it is in the balance,
    /// or it was waived).
    public var unchargedFeeMinorUnits: Int64 { state == .sent ? 0 : feeMinorUnits }
}
