import ArgumentParser

struct InvoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "invoice", abstract: "(being built)")
    @OptionGroup var options: ConfigOption
    func run() throws { throw ExitCode(64) }
}
