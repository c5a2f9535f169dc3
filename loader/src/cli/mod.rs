//! One module per subcommand; each renders for people or as JSON.

use std::process::ExitCode;

/// Parses arguments and runs the subcommand.
pub fn main() -> ExitCode {
    eprintln!("rawbpf: not yet");
    ExitCode::FAILURE
}
