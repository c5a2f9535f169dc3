//! Kernel feature probes (BTF kinds, link types), each run once and cached.
