import ArgumentParser

struct SendTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send-test", abstract: "(being built)")
    @OptionGroup var options: ConfigOption
    func run() throws { throw ExitCode(64) }
}
