import Foundation

/// One identity for client ids and invoice numbers: Unicode NFC.
///
/// Swift compares strings by canonical equivalence (NFC "müller" == NFD "müller", one dictionary
/// key) while SQLite compares bytes (two rows), so the same id in two normal forms made the
/// layers disagree: one client's block blocked the other, the plan named the other's address.
/// Every entry point (CSV import, `invoice add`, command arguments) normalises to NFC, so the
/// ledger holds only NFC and bytes and Swift agree from there on.
public enum Identifier {
    /// `text` in Unicode Normalization Form C. ASCII (the common case) is returned as it is.
    public static func nfc(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        return text.precomposedStringWithCanonicalMapping
    }

    /// Whether `a` sorts before `b` byte by byte (SQLite's BINARY collation, the order import
    /// writes clients in).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let bytes = a.utf8.withContiguousStorageIfAvailable { a in
            b.utf8.withContiguousStorageIfAvailable { b in
                let shorter = min(a.count, b.count)
                let common = shorter == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, shorter)
                return common != 0 ? common < 0 : a.count < b.count
            }
        }
        return (bytes ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// True when `text` is already NFC, byte for byte.
    public static func isNFC(_ text: String) -> Bool {
        text.utf8.allSatisfy({ $0 < 0x80 }) || text.utf8.elementsEqual(nfc(text).utf8)
    }
}
