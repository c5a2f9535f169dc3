//! CO-RE: compile-once run-everywhere relocations, computed against a target BTF.

pub mod relo;
