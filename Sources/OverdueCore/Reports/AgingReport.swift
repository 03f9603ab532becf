/// Open balances by client and currency in age buckets (`overdue report aging`).
///
/// An invoice counts while it is `open` or `escalated` with a balance above zero (fees charged
/// included, as `Invoice.balance`). Its age is `date(T) - due_date` in local days: 0 or less is
/// "not due", then 1-30, 31-60, 61-90 and 90+ (91 days and more).
public enum AgingReport {
    public static let buckets = ["not due", "1-30", "31-60", "61-90", "90+"]
    /// The keys of the JSON output, in bucket order.
    public static let keys = ["not_due", "1_30", "31_60", "61_90", "over_90"]

    public struct Row: Sendable, Equatable {
        /// Nil for a currency's total.
        public var client: String?
        public var clientName: String?
        public var currency: Currency
        /// Minor units per bucket.
        public var amounts: [Int64]
        public var total: Int64 { amounts.reduce(0) { $0.saturatingAdding($1) } }
    }

    public static func bucket(daysOverdue days: Int) -> Int {
        switch days {
        case ...0: 0
        case 1...30: 1
        case 31...60: 2
        case 61...90: 3
        default: 4
        }
    }

    /// Rows by client id then currency (byte order), then one total per currency.
    public static func rows(_ invoices: [Invoice], clients: [String: Client], on date: LocalDate) -> [Row] {
        var byKey: [String: Row] = [:]
        var totals: [String: Row] = [:]
        for invoice in invoices where (invoice.status == .open || invoice.status == .escalated) && invoice.balance.minorUnits > 0 {
            let index = bucket(daysOverdue: date.days(since: invoice.dueDate))
            let key = invoice.clientID + "\u{0}" + invoice.currency.code
            var row = byKey[key] ?? Row(client: invoice.clientID, clientName: clients[invoice.clientID]?.name, currency: invoice.currency,
                                        amounts: Array(repeating: 0, count: buckets.count))
            row.amounts[index] = row.amounts[index].saturatingAdding(invoice.balance.minorUnits)
            byKey[key] = row
            var total = totals[invoice.currency.code] ?? Row(client: nil, clientName: nil, currency: invoice.currency,
                                                              amounts: Array(repeating: 0, count: buckets.count))
            total.amounts[index] = total.amounts[index].saturatingAdding(invoice.balance.minorUnits)
            totals[invoice.currency.code] = total
        }
        let ordered = byKey.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.compactMap { byKey[$0] }
        return ordered + totals.keys.sorted().compactMap { totals[$0] }
    }

    /// A bar of `width` cells at most for `value` against `largest` (at least one cell for any
    /// amount above zero, so a small bucket is still seen).
    public static func bar(_ value: Int64, largest: Int64, width: Int = 30) -> String {
        guard value > 0, largest > 0 else { return "" }
        let cells = max(1, Int((Double(value) / Double(largest) * Double(width)).rounded()))
        return String(repeating: "#", count: min(cells, width))
    }
}
