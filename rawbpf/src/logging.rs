//! Where the narration goes: the library's syscall events (`tracing`, target `rawbpf::sys`) to
//! stderr at the level `-v`/`--explain` ask for, without timestamps so they read like a story
//! beside the pipeline's steps (`render::narrate`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Sets up the subscriber. `RUST_LOG` still wins when set.
pub fn init(verbose: u8, explain: bool) {
    let level = match (verbose, explain) {
        (0, false) => "rawbpf=warn,loader=warn",
        (0, true) | (1, _) => "rawbpf=info,rawbpf::sys=debug,loader=info",
        (2, _) => "rawbpf=debug,loader=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(true)
        .with_level(false)
        .try_init();
}

/// How much of the pipeline `-v` asks to narrate.
pub fn detail(verbose: u8) -> crate::render::narrate::Detail {
    use crate::render::narrate::Detail;
    match verbose {
        0 => Detail::Quiet,
        1 => Detail::Phases,
        _ => Detail::Debug,
    }
}
