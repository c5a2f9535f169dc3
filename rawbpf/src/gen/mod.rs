//! Code generation from a BPF object: `rawbpf gen skeleton`.

mod pod;
mod rust_types;
pub mod skeleton;
