/// The clients of a ledger, read once for a stream of invoices and packed into one byte buffer,
/// so each invoice refers to its client by position (`ClientRow`) instead of carrying a copy.
///
/// Why: a `Client` holds its name and addresses as separate reference-counted heap objects; a
/// copy per invoice retains and releases each, and with clients met in random order (invoices
/// come in number order) nearly every one of those touches is a cache miss. Here finding a
/// client reads one hash slot and one record, whose first bytes hold what planning reads (flags,
/// id, addresses), and a plan line writes the addresses straight from it.
public final class ClientTable: Sendable {
    /// One record per client, back to back: flags, id, the number of addresses and each address,
    /// then name, hold reason and block reason; each string is its UTF-8 length (LEB128) then
    /// its bytes.
    private let records: [UInt8]
    /// Open addressing on `hash(id)`, probed linearly: a slot holds the hash's high 32 bits and
    /// the record's offset + 1 in the low 32 (0: empty; so the records of a table stay under
    /// 4 GiB, which a ledger's client text does not reach). At least twice as many slots as clients.
    private let slots: [UInt64]
    /// How many clients (distinct ids).
    public let count: Int

    private struct Flags: OptionSet {
        let rawValue: UInt8
        static let onHold = Flags(rawValue: 1)
        static let blocked = Flags(rawValue: 2)
        static let holdReason = Flags(rawValue: 4)
        static let blockReason = Flags(rawValue: 8)
    }

    /// Reads clients from `next` until it yields nil; a later client with the same id replaces
    /// an earlier one.
    public init(reading next: () throws -> Client?) rethrows {
        var records: [UInt8] = [], offsets: [Int] = []
        while let client = try next() {
            offsets.append(records.count)
            var flags: Flags = []
            if client.onHold { flags.insert(.onHold) }
            if client.blocked { flags.insert(.blocked) }
            if client.holdReason != nil { flags.insert(.holdReason) }
            if client.blockReason != nil { flags.insert(.blockReason) }
            records.append(flags.rawValue)
            Self.append(client.id, to: &records)
            Self.appendLength(client.emails.count, to: &records)
            for email in client.emails { Self.append(email, to: &records) }
            for text in [client.name, client.holdReason ?? "", client.blockReason ?? ""] { Self.append(text, to: &records) }
        }
        var capacity = 2
        while capacity < offsets.count * 2 { capacity *= 2 }
        var slots = [UInt64](repeating: 0, count: capacity), count = 0
        for offset in offsets {
            let id = records[Self.idRange(at: offset, in: records)]
            let hash = Self.hash(id)
            let slot = Self.slot(of: id, hash: hash, in: slots, records: records)
            if slots[slot] == 0 { count += 1 }
            slots[slot] = (hash & Self.tagMask) | UInt64(UInt32(offset + 1))
        }
        self.records = records
        self.slots = slots
        self.count = count
    }

    public convenience init(_ clients: some Sequence<Client>) {
        var iterator = clients.makeIterator()
        self.init(reading: { iterator.next() })
    }

    /// The client with this id; nil when there is none.
    public func row(id: String) -> ClientRow? {
        var id = id
        let slot = id.withUTF8 { key in Self.slot(of: key, hash: Self.hash(key), in: slots, records: records) }
        return Self.offset(slots[slot]).map { ClientRow(table: self, offset: $0) }
    }

    // MARK: Records

    /// FNV-1a: ids are short, and the table is rebuilt for each stream from the owner's own ledger.
    private static func hash(_ utf8: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    private static let tagMask: UInt64 = 0xFFFF_FFFF_0000_0000

    /// The slot holding the record of the id `key` (whose hash is `hash`), or the empty slot where it goes.
    private static func slot(of key: some Collection<UInt8>, hash: UInt64, in slots: [UInt64], records: [UInt8]) -> Int {
        var slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
        while let offset = offset(slots[slot]) {
            if slots[slot] & tagMask == hash & tagMask, records[idRange(at: offset, in: records)].elementsEqual(key) { return slot }
            slot = (slot + 1) & (slots.count - 1)
        }
        return slot
    }

    private static func offset(_ slot: UInt64) -> Int? {
        let stored = Int(slot & 0xFFFF_FFFF)
        return stored == 0 ? nil : stored - 1
    }

    private static func appendLength(_ length: Int, to records: inout [UInt8]) {
        var rest = UInt(length)
        while rest >= 0x80 {
            records.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        records.append(UInt8(rest))
    }

    private static func append(_ text: String, to records: inout [UInt8]) {
        appendLength(text.utf8.count, to: &records)
        records.append(contentsOf: text.utf8)
    }

    /// The length at `position`, and the position after it.
    private static func length(at position: Int, in records: [UInt8]) -> (Int, next: Int) {
        var length = 0, shift = 0, position = position
        while true {
            let byte = records[position]
            length |= Int(byte & 0x7F) << shift
            position += 1
            if byte < 0x80 { return (length, position) }
            shift += 7
        }
    }

    /// The bytes of the string whose length is at `position`.
    private static func stringRange(at position: Int, in records: [UInt8]) -> Range<Int> {
        let (length, start) = length(at: position, in: records)
        return start..<(start + length)
    }

    private static func idRange(at offset: Int, in records: [UInt8]) -> Range<Int> {
        stringRange(at: offset + 1, in: records)
    }

    private func flags(_ offset: Int) -> Flags { Flags(rawValue: records[offset]) }

    private func string(_ range: Range<Int>) -> String { String(decoding: records[range], as: UTF8.self) }

    fileprivate func id(_ offset: Int) -> String { string(Self.idRange(at: offset, in: records)) }
    fileprivate func isOnHold(_ offset: Int) -> Bool { flags(offset).contains(.onHold) }
    fileprivate func isBlocked(_ offset: Int) -> Bool { flags(offset).contains(.blocked) }

    /// Calls `body` with the bytes of each address of the record, in order; returns where the
    /// name's length is.
    private func walkEmails(_ offset: Int, _ body: (_ position: Int, _ range: Range<Int>) -> Void) -> Int {
        let (count, first) = Self.length(at: Self.idRange(at: offset, in: records).upperBound, in: records)
        var position = first
        for index in 0..<count {
            let range = Self.stringRange(at: position, in: records)
            body(index, range)
            position = range.upperBound
        }
        return position
    }

    /// The record's addresses as strings, and where the name's length is.
    private func addresses(_ offset: Int) -> (emails: [String], end: Int) {
        var emails: [String] = []
        let end = walkEmails(offset) { _, range in emails.append(string(range)) }
        return (emails, end)
    }

    fileprivate func emails(_ offset: Int) -> [String] { addresses(offset).emails }

    fileprivate func client(_ offset: Int) -> Client {
        let flags = flags(offset)
        let (emails, end) = addresses(offset)
        let name = Self.stringRange(at: end, in: records)
        let holdReason = Self.stringRange(at: name.upperBound, in: records)
        let blockReason = Self.stringRange(at: holdReason.upperBound, in: records)
        return Client(id: id(offset), name: string(name), emails: emails,
                      onHold: flags.contains(.onHold), holdReason: flags.contains(.holdReason) ? string(holdReason) : nil,
                      blocked: flags.contains(.blocked), blockReason: flags.contains(.blockReason) ? string(blockReason) : nil)
    }

    /// Calls `body` with each address of the record in order, as UTF-8 read in place.
    fileprivate func forEachEmail(_ offset: Int, _ body: (_ position: Int, _ utf8: UnsafeBufferPointer<UInt8>) -> Void) {
        records.withUnsafeBufferPointer { all in
            _ = walkEmails(offset) { index, range in body(index, UnsafeBufferPointer(rebasing: all[range])) }
        }
    }
}

/// One client of a `ClientTable`: what an invoice of a stream carries instead of a `Client` copy.
public struct ClientRow: Sendable {
    let table: ClientTable
    /// Where the client's record starts in the table.
    let offset: Int

    fileprivate init(table: ClientTable, offset: Int) {
        self.table = table
        self.offset = offset
    }

    /// A table of this one client (one invoice read on its own, a test's context).
    public init(_ client: Client) {
        self.init(table: ClientTable([client]), offset: 0)
    }

    public var id: String { table.id(offset) }
    public var onHold: Bool { table.isOnHold(offset) }
    public var blocked: Bool { table.isBlocked(offset) }
    /// The To addresses, as strings (built on each call).
    public var emails: [String] { table.emails(offset) }
    /// The client in full (built on each call): for composing one message, not per invoice of a stream.
    public var client: Client { table.client(offset) }

    /// Calls `body` with each address in order, as UTF-8 read in place in the table.
    public func forEachEmail(_ body: (_ position: Int, _ utf8: UnsafeBufferPointer<UInt8>) -> Void) {
        table.forEachEmail(offset, body)
    }
}
