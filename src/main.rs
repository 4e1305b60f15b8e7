//! The `baton` command: parse arguments, dispatch, return an exit code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
