//! `rawbpf`: the command line over the `loader` library. A thin dispatcher: each subcommand lives
//! in its own module, parses its own arguments (clap) and renders for people or as JSON; every
//! sentence a person reads is written here, from the data the library returns.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod gen;
mod json;
mod logging;
mod render;

use cmd::{btf, check, disasm, gen as generate, inspect, load, map};

/// Exit code for usage errors (bad arguments), as clap uses.
const EXIT_USAGE: u8 = 2;

/// rawbpf: load clang-built BPF objects with raw bpf() syscalls, and explain every step.
#[derive(Parser, Debug)]
#[command(name = "rawbpf", version, about, long_about = None)]
struct Cli {
    /// More detail on stderr: -v phases, -vv every bpf() command, -vvv everything.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Btf(btf::BtfArgs),
    Load(load::LoadArgs),
    Inspect(inspect::InspectArgs),
    Check(check::CheckArgs),
    Disasm(disasm::DisasmArgs),
    Gen(generate::GenArgs),
    Map(map::MapArgs),
}

/// Parses arguments and runs the subcommand.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(EXIT_USAGE) } else { ExitCode::SUCCESS };
        }
    };
    let explain = matches!(&cli.command, Command::Load(a) if a.explain);
    logging::init(cli.verbose, explain);
    match cli.command {
        Command::Btf(args) => btf::run(args),
        Command::Load(args) => load::run(args, logging::detail(cli.verbose)),
        Command::Inspect(args) => inspect::run(args),
        Command::Check(args) => check::run(args),
        Command::Disasm(args) => disasm::run(args),
        Command::Gen(args) => generate::run(args),
        Command::Map(args) => map::run(args),
    }
}
