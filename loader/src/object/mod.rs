//! ELF object → rawbpf's model: programs, maps, globals, relocations.
