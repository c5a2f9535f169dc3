//! Why the kernel refused, as facts the binary puts into words: what this process may do
//! (`caps`), what a refused call means (`refusal`), and what the verifier's log says (`verifier`).

pub mod caps;
pub mod refusal;
pub mod verifier;
