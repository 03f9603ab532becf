import OverdueCore

extension SQLiteLedgerStore: SentMessageStore {
    public func sentMessages(invoice: String) throws -> [SentMessage] {
        try reading {
            let statement = try db.prepareCursor("""
                SELECT m.message_id, m.data, m.sha256 FROM messages m
                WHERE m.data IS NOT NULL AND m.sha256 IS NOT NULL
                    AND EXISTS (SELECT 1 FROM dispatches d WHERE d.message = m.id AND d.invoice = ? AND d.state = 'sent')
                ORDER BY m.id
                """)
            try statement.bind(.text(invoice), at: 1)
            var list: [SentMessage] = []
            while try statement.step() {
                list.append(SentMessage(messageID: statement.text(0), data: statement.blob(1), sha256: statement.text(2)))
            }
            return list
        }
    }
}
