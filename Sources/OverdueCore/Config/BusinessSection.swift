import Foundation

/// `[business]`: `name`, `from` and `owner` are required; `reply_to`, `payment_url`,
/// `small_claims_limit`, `locale` (default `en-GB`), `payment_instructions` and `signature` are optional.
enum BusinessSection {
    static func read(_ reader: ConfigTableReader) -> Business? {
        reader.refuseUnknownKeys(allowed: ["name", "from", "reply_to", "owner", "payment_url", "small_claims_limit",
                                          "locale", "payment_instructions", "signature"])
        let name = reader.nonEmptyString("name", required: true)
        let from = mailbox(reader, "from", required: true)
        let replyTo = mailbox(reader, "reply_to")
        let owner = mailbox(reader, "owner", required: true)
        let paymentURL = reader.parsed("payment_url", checkPaymentURL)
        let limit = reader.parsed("small_claims_limit", parseMoney)
        let locale = reader.parsed("locale", checkLocale) ?? Business.defaultLocale
        let instructions = reader.nonEmptyString("payment_instructions", lines: true)
        let signature = reader.nonEmptyString("signature", lines: true)
        guard !reader.failed, let name, let from, let owner else { return nil }
        return Business(name: name, from: from, replyTo: replyTo, owner: owner,
                        paymentURL: paymentURL, smallClaimsLimit: limit, locale: locale,
                        paymentInstructions: instructions, signature: signature)
    }

    static func mailbox(_ reader: ConfigTableReader, _ key: String, required: Bool = false) -> Mailbox? {
        reader.parsed(key, required: required) { text in
            do {
                return .success(try Mailbox(parsing: text))
            } catch {
                return .failure(ConfigProblem("\(error)"))
            }
        }
    }

    /// An absolute http(s) URL; `{invoice}` is the one placeholder, filled in per invoice.
    static func checkPaymentURL(_ text: String) -> Result<String, ConfigProblem> {
        let filled = text.replacingOccurrences(of: "{invoice}", with: "INV-1")
        if filled.contains("{") || filled.contains("}") {
            return .failure(ConfigProblem("\"\(text)\": the only placeholder is {invoice}"))
        }
        guard !filled.contains(" "), let url = URLComponents(string: filled),
              let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty else {
            return .failure(ConfigProblem("\"\(text)\" is not an http:// or https:// URL"))
        }
        return .success(text)
    }

    /// A BCP 47 language tag with a region (`en-GB`, `de-DE`, `ja-JP`): letters and one hyphen.
    static func checkLocale(_ text: String) -> Result<String, ConfigProblem> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let letters = { (part: Substring, count: ClosedRange<Int>) in
            count.contains(part.count) && part.unicodeScalars.allSatisfy { $0.isASCII && $0.properties.isAlphabetic }
        }
        guard parts.count == 2, letters(parts[0], 2...3), letters(parts[1], 2...2) else {
            return .failure(ConfigProblem("\"\(text)\" is not a language and region such as \"en-GB\", \"de-DE\" or \"ja-JP\""))
        }
        return .success(parts[0].lowercased() + "-" + parts[1].uppercased())
    }

    /// `"12500.00 USD"`: an amount and its ISO 4217 currency, separated by one space (the small
    /// claims limit, a stage's fee).
    static func parseMoney(_ text: String) -> Result<Money, ConfigProblem> {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return .failure(ConfigProblem("\"\(text)\" is not an amount and a currency, such as \"12500.00 USD\""))
        }
        guard let currency = Currency(code: String(parts[1])) else {
            return .failure(ConfigProblem("\"\(parts[1])\" is not an ISO 4217 currency code"))
        }
        return Money.parse(String(parts[0]), currency: currency).mapError { ConfigProblem($0.description) }
    }
}
