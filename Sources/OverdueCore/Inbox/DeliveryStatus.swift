/// The machine-readable part of an RFC 3464 delivery status notification
/// (`message/delivery-status`): one group of per-message fields, then one per recipient.
public struct DeliveryStatus: Sendable, Equatable {
    public struct Recipient: Sendable, Equatable {
        /// `Original-Recipient` when given (the address overdue sent to), else `Final-Recipient`; lower-cased.
        public var address: String
        /// `failed`, `delayed`, `delivered`, `relayed`, `expanded` (lower-cased).
        public var action: String
        /// `5.1.1`: the first digit says permanent (5) or temporary (4).
        public var status: String
        public var diagnostic: String?

        /// `Action: failed` with a 5.x.x status: the address does not work.
        public var isPermanentFailure: Bool { action == "failed" && status.hasPrefix("5") }
        /// `Action: delayed`, or a 4.x.x status: the server is still trying.
        public var isDelay: Bool { action == "delayed" || status.hasPrefix("4") }
    }

    public var envelopeID: String?
    public var recipients: [Recipient]

    public init(_ text: String) {
        var groups: [[(String, String)]] = [[]]
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = String(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !(groups.last?.isEmpty ?? true) { groups.append([]) }
                continue
            }
            if line.first == " " || line.first == "\t" {
                if var last = groups[groups.count - 1].popLast() {
                    last.1 += " " + line.trimmingCharacters(in: .whitespaces)
                    groups[groups.count - 1].append(last)
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            groups[groups.count - 1].append((line[..<colon].trimmingCharacters(in: .whitespaces).lowercased(),
                                             line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        func value(_ group: [(String, String)], _ name: String) -> String? { group.first { $0.0 == name }?.1 }
        /// `rfc822; a@b` -> `a@b`.
        func address(_ text: String?) -> String? {
            guard let text else { return nil }
            let bare = text.split(separator: ";", maxSplits: 1).last.map(String.init) ?? text
            return InboundMail.address(in: bare)
        }
        envelopeID = groups.first.flatMap { value($0, "original-envelope-id") }
        recipients = groups.compactMap { group in
            guard let target = address(value(group, "original-recipient")) ?? address(value(group, "final-recipient")) else { return nil }
            let status = value(group, "status")?.split(separator: " ").first.map(String.init) ?? ""
            return Recipient(address: target, action: (value(group, "action") ?? "").lowercased(), status: status,
                             diagnostic: value(group, "diagnostic-code"))
        }
    }
}
