import Foundation

/// The independent witness of the audit trail (`[audit] witness`): every so often the chain's
/// head (its newest entry's `seq` and hash) is mailed to the owner, and the mailbox, with the
/// Received headers the owner's provider adds, dates it outside overdue's reach. A trail
/// rewritten later no longer holds that hash at that `seq`, which `overdue audit verify
/// --witness SEQ:HASH` shows. What it does not prove is in the README ("The audit witness").
public enum AuditWitness {
    /// A witness is due when none was ever recorded, or when the last one is at least `interval`
    /// old. Times are the instants decisions were made at (`as_of` under `--as-of`, else the real
    /// time), as every other rule of the tick reads them.
    public static func isDue(lastWitnessedAt: Date?, now: Date, every interval: Interval) -> Bool {
        guard let lastWitnessedAt else { return true }
        return now.timeIntervalSince(lastWitnessedAt) >= Double(interval.seconds)
    }

    /// The details of the `audit.witnessed` entry recorded once the server accepted the witness.
    public static func details(head: AuditEntry, to owner: String, messageID: String, reply: String) -> [(String, JSONValue)] {
        [("head_seq", .int(head.seq)), ("head_hash", .string(head.hash)), ("head_at", .string(formatTimestamp(head.at))),
         ("to", .strings([owner])), ("message_id", .string(messageID)), ("reply", .string(reply))]
    }

    /// One recorded witness, read back from its `audit.witnessed` entry.
    public struct Record: Sendable, Equatable {
        /// The witness entry's own `seq` (always above `headSeq`).
        public var seq: Int64
        /// When it was sent: the entry's `as_of`, else its time.
        public var at: Date
        public var headSeq: Int64
        public var headHash: String
        public var messageID: String
        public var reply: String

        /// Nil for an entry that is not a complete `audit.witnessed` entry.
        public init?(_ entry: AuditEntry) {
            guard entry.event == AuditEvent.auditWitnessed.rawValue,
                  let details = (try? JSONSerialization.jsonObject(with: Data(entry.detailsJSON.utf8))) as? [String: Any],
                  let headSeq = (details["head_seq"] as? NSNumber)?.int64Value, let headHash = details["head_hash"] as? String,
                  let messageID = details["message_id"] as? String else { return nil }
            seq = entry.seq
            at = entry.asOf ?? entry.at
            self.headSeq = headSeq
            self.headHash = headHash
            self.messageID = messageID
            reply = details["reply"] as? String ?? ""
        }
    }

    /// The first witness whose head is at or after `seq`: the earliest mail that dates entry `seq`.
    /// Nil when no witness covers it yet.
    public static func firstCovering(_ seq: Int64, in witnesses: [Record]) -> Record? {
        witnesses.filter { $0.headSeq >= seq }.min { $0.seq < $1.seq }
    }
}
