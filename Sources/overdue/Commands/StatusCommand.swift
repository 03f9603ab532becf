import ArgumentParser

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "(being built)")
    @OptionGroup var options: ConfigOption
    func run() throws { throw ExitCode(64) }
}
