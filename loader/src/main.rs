//! `rawbpf`: the command line. Parsing and rendering only; the work is in the library.

fn main() -> std::process::ExitCode {
    loader::cli::main()
}
