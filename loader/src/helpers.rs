//! BPF helper function names by id, for disassembly and verifier hints.
