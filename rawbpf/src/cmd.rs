//! One module per subcommand: its arguments (clap) and its output.

pub mod btf;
pub mod check;
pub mod disasm;
pub mod gen;
pub mod inspect;
pub mod load;
pub mod map;
