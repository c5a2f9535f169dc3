//! `.BTF.ext`: func_info, line_info and CO-RE relocation records, per ELF section.
