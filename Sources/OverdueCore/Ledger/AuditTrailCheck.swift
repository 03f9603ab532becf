/// `verifyAudit`, one implementation for every store: the trail read in `seq` order, one entry
/// in memory at a time, each link checked (`AuditChain.problem`), then the last entry checked
/// against the head recorded in `meta` (`SEQ HASH`), which catches entries removed from the
/// end that the links alone cannot show.
public struct AuditTrailCheck {
    private var previous: AuditEntry?

    public init() {}

    /// The first problem of the trail so far, or nil when `entry` links on.
    public mutating func add(_ entry: AuditEntry) -> (seq: Int64, problem: String)? {
        if let problem = AuditChain.problem(with: entry, after: previous) { return (entry.seq, problem) }
        previous = entry
        return nil
    }

    /// After the last entry: nil when the trail reaches the recorded head (or none is recorded).
    public func finish(head: String?) -> (seq: Int64, problem: String)? {
        guard let head = head?.split(separator: " "), let seq = head.first.flatMap({ Int64($0) }) else { return nil }
        let lastSeq = previous?.seq ?? 0
        if lastSeq < seq { return (lastSeq + 1, "entries \(lastSeq + 1)...\(seq) are missing from the end of the trail") }
        if lastSeq == seq, head.count == 2, previous?.hash != String(head[1]) {
            return (seq, "hash does not match the recorded head of the trail")
        }
        return nil
    }
}
