import Crypto

/// Makes Message-IDs that are unique, stable across retries, and recognisable as ours.
///
/// Scheme: `<H@DOMAIN>` where `H` is the first 128 bits, in hex, of
/// `HMAC-SHA256(secret, "overdue-message-id/v1" ‖ 0 ‖ invoice ‖ 0 ‖ stage ‖ 0 ‖ nonce)`
/// and `DOMAIN` is the From address's domain. The nonce is the dispatch id (or any value
/// fixed for one logical message, never the attempt number), so every retry of a dispatch
/// carries the same Message-ID: a resend after an ambiguous outcome is a duplicate that mail
/// systems and `recognises` can spot. The secret keeps IDs unguessable and unforgeable: no
/// one can mint an ID that we would take as ours. Generate the secret once
/// (`MessageIDGenerator.newSecret()`) and store it (the ledger's meta table).
public struct MessageIDGenerator: Sendable {
    private let secret: [UInt8]

    public init(secret: [UInt8]) {
        self.secret = secret
    }

    /// 32 random bytes from the system's CSPRNG.
    public static func newSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The Message-ID with angle brackets, e.g. `<3f2a…@janedoe.example>`.
    public func messageID(invoice: String, stage: String, nonce: String, domain: String) -> String {
        "<\(digest(invoice: invoice, stage: stage, nonce: nonce))@\(domain)>"
    }

    /// True when `messageID` is the one this secret makes for (invoice, stage, nonce).
    public func recognises(_ messageID: String, invoice: String, stage: String, nonce: String) -> Bool {
        let trimmed = messageID.trimmingCharacters(in: ["<", ">"])
        guard let local = trimmed.split(separator: "@", maxSplits: 1).first else { return false }
        let expected = Array(digest(invoice: invoice, stage: stage, nonce: nonce).utf8)
        let given = Array(local.utf8)
        // Constant-time comparison: the ID is attacker-visible, the secret is not.
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private func digest(invoice: String, stage: String, nonce: String) -> String {
        var input = Array("overdue-message-id/v1".utf8)
        input.reserveCapacity(input.count + invoice.utf8.count + stage.utf8.count + nonce.utf8.count + 3)
        for part in [invoice, stage, nonce] {
            input.append(0)
            input += part.utf8
        }
        let mac = HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: secret))
        return hexString(mac.prefix(16))
    }
}
