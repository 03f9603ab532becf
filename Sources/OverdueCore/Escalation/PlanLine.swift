/// Why nothing is done for an invoice, in precedence order (the first that applies wins).
public enum SkipReason: String, Sendable, CaseIterable, Codable {
    case closed, blocked
    case clientHold = "client-hold"
    case hold
    case notDue = "not-due"
    case done
    /// The stage due hands the invoice off (`escalate`, `write-off`) and the client has not yet had
    /// `final_notice_days` local days since the last email of this invoice (or never had one).
    case noticePeriod = "notice-period"
    case minGap = "min-gap"
    case window
}

/// What a tick at one instant would do for one invoice: the unit of `overdue plan` output.
public struct PlanLine: Sendable, Equatable {
    public enum Action: String, Sendable { case email, escalate, writeOff = "write-off", none }

    public var invoice: String
    public var client: String
    /// The stage due now, or for a skipped invoice the stage that would apply (nil when none does).
    public var stage: String?
    public var action: Action
    public var daysOverdue: Int
    /// The balance the message states: the balance (amount + fees charged − paid) + this stage's fee
    /// (`Invoice.amountDue(stageFeeMinorUnits:)`).
    public var amountDue: Money
    public var recipients: Recipients
    public var to: [String] {
        get { recipients.addresses }
        set { recipients = .addresses(newValue) }
    }
    public var reason: SkipReason?
    /// Reached stages below `stage` that were never sent and will now never be (for the audit trail).
    public var superseded: [String]
    /// This stage's fee in minor units (0 when none), to be recorded with the dispatch.
    public var feeMinorUnits: Int64

    public init(invoice: String, client: String, stage: String?, action: Action, daysOverdue: Int,
                amountDue: Money, to: [String], reason: SkipReason?, superseded: [String] = [], feeMinorUnits: Int64 = 0) {
        self.init(invoice: invoice, client: client, stage: stage, action: action, daysOverdue: daysOverdue, amountDue: amountDue,
                  recipients: .addresses(to), reason: reason, superseded: superseded, feeMinorUnits: feeMinorUnits)
    }

    public init(invoice: String, client: String, stage: String?, action: Action, daysOverdue: Int,
                amountDue: Money, recipients: Recipients, reason: SkipReason?, superseded: [String], feeMinorUnits: Int64) {
        self.invoice = invoice
        self.client = client
        self.stage = stage
        self.action = action
        self.daysOverdue = daysOverdue
        self.amountDue = amountDue
        self.recipients = recipients
        self.reason = reason
        self.superseded = superseded
        self.feeMinorUnits = feeMinorUnits
    }
}

extension PlanLine {
    /// Who the line's message goes to: a client's addresses stay in the stream's `ClientTable`
    /// until written (`plan` writes every line), other recipients are listed.
    public enum Recipients: Sendable, Equatable {
        case addresses([String])
        case client(ClientRow)

        public var addresses: [String] {
            switch self {
            case .addresses(let list): list
            case .client(let row): row.emails
            }
        }

        /// Calls `body` with each address in order, as UTF-8.
        public func forEach(_ body: (_ position: Int, _ utf8: UnsafeBufferPointer<UInt8>) -> Void) {
            switch self {
            case .addresses(let list):
                for position in list.indices {
                    var address = list[position]
                    address.withUTF8 { body(position, $0) }
                }
            case .client(let row): row.forEachEmail(body)
            }
        }

        /// Equal when the addresses are, however they are held.
        public static func == (lhs: Recipients, rhs: Recipients) -> Bool { lhs.addresses == rhs.addresses }
    }
}
