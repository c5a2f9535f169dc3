//! `rawbpf disasm` (placeholder)
use clap::Args;
use std::process::ExitCode;
/// x
#[derive(Args, Debug)]
pub struct DisasmArgs {}
/// x
pub fn run(_a: DisasmArgs) -> ExitCode { ExitCode::SUCCESS }
