//! The pipeline from an `Object` to loaded maps and programs.
