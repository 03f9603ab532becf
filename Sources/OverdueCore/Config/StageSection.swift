import TOMLKit

/// The `[[stage]]` ladder: at least one stage, in strictly increasing `days`.
///
/// Each stage needs `name` (unique, `[a-z0-9-]+`) and `days`. `action` defaults to `email`;
/// an email stage needs `template` and `subject` and may have `cc`, `bcc` and `fee`; an
/// `escalate` stage may say `notify = "owner"` (what it does anyway). Nothing may follow an
/// `escalate` or `write-off` stage: the invoice is no longer open, so it would never run. A
/// hand-off needs an email stage before it: the client is told before the owner acts.
enum StageSection {
    /// A hundred years either side of the due date.
    static let maxDays = 36_500
    static let keys: Set<String> = ["name", "days", "action", "template", "subject", "cc", "bcc", "fee", "notify", "renamed_from"]

    static func readAll(_ value: (any TOMLValueConvertible)?, diagnostics: ConfigDiagnostics) -> [Stage]? {
        guard let value else {
            diagnostics.report(table: "", key: "stage", field: "stage", "at least one [[stage]] is required")
            return nil
        }
        guard let array = value.array, array.allSatisfy({ $0.type == .table }) else {
            diagnostics.report(table: "", key: "stage", field: "stage", "must be an array of tables: write each stage as [[stage]]")
            return nil
        }
        guard !array.isEmpty else {
            diagnostics.report(table: "", key: "stage", field: "stage", "at least one [[stage]] is required")
            return nil
        }
        var stages: [Stage] = []
        var failed = false
        var firstIndex: [String: Int] = [:]
        var previous: (days: Int, terminal: String?)?
        var anyEmail = false
        for (index, element) in array.enumerated() {
            let reader = ConfigTableReader(table: element.table!, name: "stage", index: index, diagnostics: diagnostics)
            let stage = read(reader)
            if let name = stage?.name {
                if let first = firstIndex[name] {
                    reader.fail("name", "\"\(name)\" is already the name of stage[\(first + 1)]")
                } else {
                    firstIndex[name] = index
                }
            }
            if let stage, let previous {
                if let terminal = previous.terminal {
                    reader.fail("days", "comes after the \"\(terminal)\" stage, which closes the invoice; it would never run")
                } else if stage.days <= previous.days {
                    reader.fail("days", "\(stage.days) must be greater than the previous stage's \(previous.days) (stages run in increasing days)")
                }
            }
            if let stage, stage.action != .email, !anyEmail {
                reader.fail("action", "\"\(stage.action.rawValue)\" needs an email stage before it: the client must be sent a final notice before the hand-off")
            }
            if let stage {
                previous = (stage.days, stage.action == .email ? nil : stage.name)
                anyEmail = anyEmail || stage.action == .email
                stages.append(stage)
            }
            failed = failed || reader.failed
        }
        if !failed {
            failed = !checkFormerNames(stages, array: array, diagnostics: diagnostics)
        }
        return failed ? nil : stages
    }

    /// A former name belongs to one stage only and is no current stage's name: otherwise the
    /// dispatches recorded under it would have two places on the ladder.
    private static func checkFormerNames(_ stages: [Stage], array: TOMLArray, diagnostics: ConfigDiagnostics) -> Bool {
        var ok = true
        var claimedBy: [String: Int] = [:]
        for (index, stage) in stages.enumerated() {
            let reader = ConfigTableReader(table: array[index].table!, name: "stage", index: index, diagnostics: diagnostics)
            for former in stage.renamedFrom {
                if let current = stages.firstIndex(where: { $0.name == former }) {
                    reader.fail("renamed_from", "\"\(former)\" is the name of stage[\(current + 1)]; a stage cannot have been renamed from a stage that still exists")
                    ok = false
                } else if let other = claimedBy[former] {
                    reader.fail("renamed_from", "\"\(former)\" is already listed in stage[\(other + 1)].renamed_from")
                    ok = false
                } else {
                    claimedBy[former] = index
                }
            }
        }
        return ok
    }

    static func read(_ reader: ConfigTableReader) -> Stage? {
        reader.refuseUnknownKeys(allowed: keys)
        let name = reader.parsed("name", required: true) { text in
            isName(text) ? .success(text) : .failure(ConfigProblem("\"\(text)\" must be lowercase letters, digits and '-'"))
        }
        let days = reader.int("days", in: -maxDays...maxDays, required: true)
        let parsedAction = reader.parsed("action") { text in
            Stage.Action(rawValue: text).map { .success($0) }
                ?? .failure(ConfigProblem("\"\(text)\" is not email, escalate or write-off"))
        }
        // Which other keys belong depends on the action: with a bad one, checking them would
        // only add noise.
        guard let action = parsedAction ?? (reader.has("action") ? nil : .email) else { return nil }

        var template: String?
        var subject: String?
        var cc: [Stage.Recipient] = []
        var bcc: [Stage.Recipient] = []
        if action == .email {
            template = reader.parsed("template", required: true) { text in
                isName(text) ? .success(text)
                    : .failure(ConfigProblem("\"\(text)\" must be a template base name: lowercase letters, digits and '-' (templates/NAME.txt)"))
            }
            subject = reader.nonEmptyString("subject", required: true)
            cc = recipients(reader, "cc")
            bcc = recipients(reader, "bcc")
        } else {
            for key in ["template", "subject", "cc", "bcc"] where reader.has(key) {
                reader.fail(key, "applies only to action = \"email\" (this stage is \"\(action.rawValue)\")")
            }
        }
        if reader.has("notify") {
            if action != .escalate {
                reader.fail("notify", "applies only to action = \"escalate\"")
            } else if let notify = reader.string("notify"), notify != "owner" {
                reader.fail("notify", "\"\(notify)\" is not \"owner\" (the owner receives the decision notice)")
            }
        }
        var fees: [Money] = []
        if action == .email {
            fees = self.fees(reader)
        } else if reader.has("fee") {
            reader.fail("fee", "applies only to action = \"email\": a fee is charged with a message to the client")
        }
        let renamedFrom = formerNames(reader)
        guard !reader.failed, let name, let days else { return nil }
        var stage = Stage(name: name, days: days, action: action, template: template, subject: subject,
                          cc: cc, bcc: bcc, fees: fees)
        stage.renamedFrom = renamedFrom
        return stage
    }

    /// `renamed_from = ["reminder-7"]`: stage names, each written once.
    private static func formerNames(_ reader: ConfigTableReader) -> [String] {
        var names: [String] = []
        for text in reader.stringArray("renamed_from") ?? [] {
            if !isName(text) {
                reader.fail("renamed_from", "\"\(text)\" must be lowercase letters, digits and '-' (a former stage name)")
            } else if names.contains(text) {
                reader.fail("renamed_from", "\"\(text)\" is listed twice")
            } else {
                names.append(text)
            }
        }
        return names
    }

    /// `fee = "40.00 EUR"` or `fee = ["40.00 EUR", "6000 JPY"]`: at most one amount per currency,
    /// each with exactly the currency's minor digits at most. A fee without its currency is
    /// refused: "15.00" would otherwise become 15 JPY on one invoice and 15.000 KWD on another.
    private static func fees(_ reader: ConfigTableReader) -> [Money] {
        guard let value = reader.table["fee"] else { return [] }
        let texts: [String]
        if value.type == .string, let text = reader.string("fee") {
            texts = [text]
        } else if value.type == .array, value.array?.allSatisfy({ $0.type == .string }) == true {
            texts = reader.stringArray("fee") ?? []
            if texts.isEmpty { reader.fail("fee", "must list at least one fee (leave the key out for no fee)") }
        } else {
            reader.fail("fee", "expected an amount and its currency such as \"40.00 EUR\" (or a list of them), found a \(value.type)")
            return []
        }
        var fees: [Money] = []
        for text in texts {
            switch BusinessSection.parseMoney(text) {
            case .failure(let problem):
                let bare = DecimalAmount.parse(text)
                if case .success = bare {
                    reader.fail("fee", "\"\(text)\" needs its currency, such as \"\(text) EUR\": a fee applies only to invoices in that currency")
                } else {
                    reader.fail("fee", problem.text)
                }
            case .success(let fee) where fee.minorUnits == 0:
                reader.fail("fee", "\"\(text)\" must be more than zero (leave the currency out for no fee)")
            case .success(let fee) where fees.contains { $0.currency == fee.currency }:
                reader.fail("fee", "\"\(text)\": a second fee in \(fee.currency.code); give one per currency")
            case .success(let fee):
                fees.append(fee)
            }
        }
        return fees
    }

    /// `"owner"` or an address (`Name <addr>` allowed).
    private static func recipients(_ reader: ConfigTableReader, _ key: String) -> [Stage.Recipient] {
        var result: [Stage.Recipient] = []
        for text in reader.stringArray(key) ?? [] {
            if text == "owner" {
                result.append(.owner)
                continue
            }
            do {
                result.append(.address(try Mailbox(parsing: text)))
            } catch {
                reader.fail(key, "\(error) (write \"owner\" or an address)")
            }
        }
        return result
    }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }
}
