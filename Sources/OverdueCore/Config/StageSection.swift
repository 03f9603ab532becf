import TOMLKit

/// The `[[stage]]` ladder: at least one stage, in strictly increasing `days`.
///
/// Each stage needs `name` (unique, `[a-z0-9-]+`) and `days`. `action` defaults to `email`;
/// an email stage needs `template` and `subject` and may have `cc`, `bcc` and `fee`; an
/// `escalate` stage may say `notify = "owner"` (what it does anyway). Nothing may follow an
/// `escalate` or `write-off` stage: the invoice is no longer open, so it would never run.
enum StageSection {
    static let keys: Set<String> = ["name", "days", "action", "template", "subject", "cc", "bcc", "fee", "notify"]

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
            if let stage {
                previous = (stage.days, stage.action == .email ? nil : stage.name)
                stages.append(stage)
            }
            failed = failed || reader.failed
        }
        return failed ? nil : stages
    }

    static func read(_ reader: ConfigTableReader) -> Stage? {
        reader.refuseUnknownKeys(allowed: keys)
        let name = reader.parsed("name", required: true) { text in
            isName(text) ? .success(text) : .failure(ConfigProblem("\"\(text)\" must be lowercase letters, digits and '-'"))
        }
        let days = reader.int("days", required: true)
        if let days, abs(days) > 36_500 { reader.fail("days", "\(days) is more than a hundred years") }
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
        let fee = fee(reader)
        guard !reader.failed, let name, let days else { return nil }
        return Stage(name: name, days: days, action: action, template: template, subject: subject,
                     cc: cc, bcc: bcc, fee: fee)
    }

    /// A fixed fee as a quoted decimal string. A TOML number is refused: `40.00` would be a
    /// float and `40` would not say how many minor digits were meant.
    private static func fee(_ reader: ConfigTableReader) -> DecimalAmount? {
        if let value = reader.table["fee"], value.type != .string {
            reader.fail("fee", "expected a quoted decimal string such as \"40.00\", found a \(value.type)")
            return nil
        }
        return reader.parsed("fee") { text in
            switch DecimalAmount.parse(text) {
            case .failure(let error): return .failure(ConfigProblem(error.description))
            case .success(let amount) where amount.digits == 0:
                return .failure(ConfigProblem("must be more than zero (leave the key out for no fee)"))
            case .success(let amount): return .success(amount)
            }
        }
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
