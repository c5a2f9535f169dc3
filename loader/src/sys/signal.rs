//! SIGINT and SIGTERM turned into a flag, so the trace loop can stop and drop every fd cleanly
//! instead of the process dying with programs half torn down.

use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

/// Set by the handler; read by the trace loop.
pub static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    STOP.store(true, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM. Also un-ignores SIGINT, which a shell leaves
/// ignored for background jobs.
pub fn install_stop_handler() -> Result<(), nix::Error> {
    // No SA_RESTART: a blocking poll should return EINTR so the loop sees the flag at once.
    let action = SigAction::new(SigHandler::Handler(on_signal), SaFlags::empty(), SigSet::empty());
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { sigaction(sig, &action) }?;
    }
    Ok(())
}
