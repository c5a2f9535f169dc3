//! Where `tracing` events go: stderr, at the level `-v`/`--explain` ask for, without timestamps
//! so the narration reads like a story.

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
