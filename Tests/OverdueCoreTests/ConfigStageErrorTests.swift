import XCTest
@testable import OverdueCore

/// Mistakes in the `[[stage]]` ladder; line numbers refer to `ConfigFixtures.specExample`
/// (stages start at lines 33, 39 and 47).
final class ConfigStageErrorTests: XCTestCase {
    private let file = ConfigFixtures.path

    private func refused(replacing prefix: String, with replacement: String, _ expected: String,
                         line: UInt = #line) {
        ConfigFixtures.assertRefused(ConfigFixtures.replacing(line: prefix, with: replacement, line: line),
                                     expected, line: line)
    }

    func testAtLeastOneStageIsRequired() {
        let withoutStages = ConfigFixtures.specExample.components(separatedBy: "[[stage]]")[0]
        ConfigFixtures.assertRefused(withoutStages, "\(file): stage: at least one [[stage]] is required")
        ConfigFixtures.assertRefused(withoutStages + "[stage]\nname = \"x\"\n",
                                     "\(file):33: stage: must be an array of tables")
    }

    func testStageNamesAreUniqueLowercaseSlugs() {
        refused(replacing: "name = \"final-notice\"", with: "name = \"courtesy\"", "\(file):40: stage[2].name: \"courtesy\" is already the name of stage[1]")
        refused(replacing: "name = \"final-notice\"", with: "name = \"Final Notice\"", "\(file):40: stage[2].name: \"Final Notice\" must be lowercase letters, digits and '-'")
    }

    func testStageDaysMustStrictlyIncrease() {
        refused(replacing: "days = 60", with: "days = -3", "\(file):41: stage[2].days: -3 must be greater than the previous stage's -3")
        refused(replacing: "days = 90", with: "days = 30", "\(file):49: stage[3].days: 30 must be greater than the previous stage's 60")
    }

    func testMissingRequiredStageKeyPointsAtTheStageHeader() {
        refused(replacing: "days = -3", with: "", "\(file):33: stage[1].days: is required")
        refused(replacing: "template = \"courtesy\"", with: "", "\(file):33: stage[1].template: is required")
        refused(replacing: "subject = \"Final", with: "", "\(file):39: stage[2].subject: is required")
    }

    func testActionIsEmailEscalateOrWriteOff() {
        refused(replacing: "action =", with: "action = \"call\"", "\(file):50: stage[3].action: \"call\" is not email, escalate or write-off")
    }

    func testTemplateNameIsABaseName() {
        refused(replacing: "template = \"courtesy\"", with: "template = \"../courtesy.txt\"", "\(file):36: stage[1].template: \"../courtesy.txt\" must be a template base name")
    }

    func testEmailOnlyKeysAreRefusedOnOtherActions() {
        refused(replacing: "notify =", with: "notify = \"owner\"\nsubject = \"Over to you\"", "\(file):52: stage[3].subject: applies only to action = \"email\"")
        refused(replacing: "fee =", with: "notify = \"owner\"", "\(file):45: stage[2].notify: applies only to action = \"escalate\"")
        refused(replacing: "notify =", with: "notify = \"client\"", "\(file):51: stage[3].notify: \"client\" is not \"owner\"")
    }

    func testNothingMayFollowAnEscalation() {
        let text = ConfigFixtures.specExample + "[[stage]]\nname = \"later\"\ndays = 120\ntemplate = \"later\"\nsubject = \"x\"\n"
        ConfigFixtures.assertRefused(text, "\(file):54: stage[4].days: comes after the \"hand-off\" stage, which closes the invoice")
    }

    func testCopiesAreOwnerOrAddresses() {
        refused(replacing: "cc =", with: "cc = [\"boss\"]", "\(file):44: stage[2].cc: \"boss\" is not a valid email address (write \"owner\" or an address)")
        refused(replacing: "cc =", with: "bcc = \"owner\"", "\(file):44: stage[2].bcc: expected an array of strings")
    }

    func testFeeIsAPositiveAmountWithItsCurrencyOncePerCurrency() {
        refused(replacing: "fee =", with: "fee = 40.0", "\(file):45: stage[2].fee: expected an amount and its currency such as \"40.00 EUR\" (or a list of them), found a floating-point number")
        refused(replacing: "fee =", with: "fee = \"40.00\"", "\(file):45: stage[2].fee: \"40.00\" needs its currency, such as \"40.00 EUR\"")
        refused(replacing: "fee =", with: "fee = \"40,00 EUR\"", "\(file):45: stage[2].fee: \"40,00\" is not a plain decimal amount")
        refused(replacing: "fee =", with: "fee = \"0.00 EUR\"", "\(file):45: stage[2].fee: \"0.00 EUR\" must be more than zero")
        refused(replacing: "fee =", with: "fee = \"40.5 JPY\"", "\(file):45: stage[2].fee: \"40.5\" has more than 0 decimal digits")
        refused(replacing: "fee =", with: "fee = [\"40.00 EUR\", \"45.00 EUR\"]", "\(file):45: stage[2].fee: \"45.00 EUR\": a second fee in EUR")
        refused(replacing: "fee =", with: "fee = []", "\(file):45: stage[2].fee: must list at least one fee")
    }

    func testAHandOffStageCarriesNoFeeAndNeedsAnEmailStageBeforeIt() {
        refused(replacing: "notify =", with: "fee = \"40.00 EUR\"", "\(file):51: stage[3].fee: applies only to action = \"email\"")
        let silentHandOff = ConfigFixtures.specExample.components(separatedBy: "[[stage]]")[0]
            + "[[stage]]\nname = \"hand-off\"\ndays = 90\naction = \"escalate\"\n"
        ConfigFixtures.assertRefused(silentHandOff, "\(file):36: stage[1].action: \"escalate\" needs an email stage before it")
    }

    func testSubjectCannotCarryHeaderInjection() {
        refused(replacing: "subject = \"Invoice", with: "subject = \"Hi\\r\\nBcc: all@evil.example\"", "\(file):37: stage[1].subject: contains the control character U+000D")
    }
}
