//! Linking: subprogram calls appended and fixed up, map and global references resolved.
