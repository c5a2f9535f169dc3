//! BPF instructions: decoding, encoding, opcode classes.
