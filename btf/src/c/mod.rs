//! C output: one declaration, or a whole header usable as vmlinux.h.
