//! Unit tests of the object reader.
