//! Pure-Rust BTF: parse the wire format (base and split, either byte order), decode types on
//! demand, answer layout questions, read `.BTF.ext`, print C, and compute CO-RE relocations.
//!
//! No syscalls happen here; the only I/O is reading a file you name (see [`source`]).

#![forbid(unsafe_code)]

pub mod btf;
pub mod bytes;
pub mod c;
pub mod core;
mod decode;
pub mod diff;
pub mod error;
pub mod ext;
pub mod flavors;
pub mod insn;
pub mod kernel_image;
pub mod layout;
pub mod min;
pub mod names;
mod offsets;
mod scan;
pub mod source;
mod strings;
pub mod suggest;
pub mod types;
pub mod value;
pub mod wire;
pub mod write;

pub use crate::btf::Btf;
pub use crate::bytes::Bytes;
pub use crate::error::{BtfError, Result};
pub use crate::types::{Body, Kind, Type, TypeId};
pub use crate::write::BtfBuilder;

#[cfg(test)]
mod tests;
