/// States as a person says them, for everything overdue writes to people (notices, preview's
/// explanations); the raw values stay the machine forms of JSON, CSV and the ledger.
extension InvoiceStatus {
    /// "written off", not `written_off`.
    public var inWords: String {
        switch self {
        case .open: "open"
        case .paid: "paid"
        case .cancelled: "cancelled"
        case .escalated: "escalated"
        case .writtenOff: "written off"
        }
    }
}

extension DispatchState {
    public var inWords: String {
        switch self {
        case .sent: "sent"
        case .queued: "queued, not yet sent"
        case .sending: "being sent"
        case .retrying: "deferred by the server, retrying"
        case .failed: "failed"
        case .ambiguous: "outcome unknown (interrupted while sending)"
        case .released: "released for resending"
        case .done: "done"
        case .withdrawn: "withdrawn (no longer wanted)"
        }
    }
}
