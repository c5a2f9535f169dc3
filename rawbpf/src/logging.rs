//! Where the narration goes: the library's syscall events (`tracing`, target `rawbpf::sys`) to
//! stderr at the level `-v`/`--explain` ask for, without timestamps so they read like a story
//! beside the pipeline's steps (`render::narrate`).

use std::io::IsTerminal;

use tracing_subscriber::filter::LevelFilter as Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What `-v`/`--explain` show, by target prefix (the most specific prefix wins).
fn targets(verbose: u8, explain: bool) -> Targets {
    let t = Targets::new();
    match (verbose, explain) {
        (0, false) => t.with_target("rawbpf", Level::WARN).with_target("loader", Level::WARN),
        (0, true) | (1, _) => t
            .with_target("rawbpf", Level::INFO)
            .with_target("rawbpf::sys", Level::DEBUG)
            .with_target("loader", Level::INFO),
        (2, _) => t.with_target("rawbpf", Level::DEBUG).with_target("loader", Level::DEBUG),
        _ => t.with_default(Level::TRACE),
    }
}

/// Sets up the subscriber. `RUST_LOG` (a `target=level,...` list or a bare level) still wins
/// when set and well-formed.
pub fn init(verbose: u8, explain: bool) {
    let from_env = std::env::var("RUST_LOG").ok().and_then(|v| v.parse::<Targets>().ok());
    let filter = from_env.unwrap_or_else(|| targets(verbose, explain));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(true)
        .with_level(false);
    let _ = tracing_subscriber::registry().with(fmt).with(filter).try_init();
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
