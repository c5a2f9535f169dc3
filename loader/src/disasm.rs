//! Instructions in the kernel verifier's syntax, with relocation marks and source lines.
