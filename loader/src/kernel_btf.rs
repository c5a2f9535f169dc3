//! The object's BTF made acceptable to the running kernel: DATASEC sizes, VAR offsets, sanitizing.
