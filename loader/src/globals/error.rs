//! Why a global variable could not be set.

use btf::{BtfError, Kind};

/// Why `--set NAME=VALUE` (or [`super::assignment`]) was refused. Nothing is loaded after one.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// The object has no `.BTF`, so its variables have no names or types to set them by.
    #[error("the object has no BTF: its global variables have no types (build it with clang -g)")]
    NoBtf,
    /// No global variable of that name.
    #[error("no global variable '{name}'")]
    UnknownVariable {
        /// The name asked for.
        name: String,
        /// Settable names close to it, closest first.
        close: Vec<String>,
        /// Every settable name.
        known: Vec<String>,
    },
    /// A `static` variable: it belongs to the program, not to user space (as in libbpf's skeletons).
    #[error("'{name}' is a static variable, which belongs to the program: only global variables are set")]
    Static {
        /// The name asked for.
        name: String,
    },
    /// The value does not fit the variable's type.
    #[error("global variable '{name}' ({ty}, in {section})")]
    Value {
        /// The variable.
        name: String,
        /// Its C type.
        ty: String,
        /// Its section.
        section: String,
        /// What is wrong with the value.
        #[source]
        problem: ValueProblem,
    },
    /// The object's BTF is inconsistent.
    #[error("the object's BTF")]
    Btf(#[from] BtfError),
}

/// What is wrong with a value for a type.
#[derive(Debug, thiserror::Error)]
pub enum ValueProblem {
    /// Not a number in decimal or 0x hex.
    #[error("'{text}' is not a number (decimal, or hex with 0x)")]
    NotANumber {
        /// The text given.
        text: String,
    },
    /// A number outside the type's range.
    #[error("{text} is out of range: accepted {min}..={max}")]
    OutOfRange {
        /// The text given.
        text: String,
        /// Smallest accepted value.
        min: i128,
        /// Largest accepted value.
        max: u128,
    },
    /// Neither an enumerator of the enum nor a number in its range.
    #[error("'{text}' is not one of the enum's values: {}", known.join(", "))]
    UnknownEnumerator {
        /// The text given.
        text: String,
        /// The enumerators.
        known: Vec<String>,
    },
    /// Not `true`, `false`, `1` or `0`.
    #[error("'{text}' is not a bool: accepted true, false, 1, 0")]
    NotBool {
        /// The text given.
        text: String,
    },
    /// Not one character (or its code).
    #[error("'{text}' is not one character or a character code")]
    NotChar {
        /// The text given.
        text: String,
    },
    /// Not a floating-point number.
    #[error("'{text}' is not a floating-point number")]
    NotFloat {
        /// The text given.
        text: String,
    },
    /// A string longer than a char array holds with its NUL.
    #[error("the string is {len} bytes: at most {max} fit (with the terminating NUL)")]
    TooLong {
        /// Bytes given.
        len: usize,
        /// Bytes accepted.
        max: usize,
    },
    /// More comma-separated elements than the array has.
    #[error("{given} elements given: the array has {max}")]
    TooManyElements {
        /// Elements given.
        given: usize,
        /// Elements the array has.
        max: u32,
    },
    /// One element of an array is wrong.
    #[error("element {index}")]
    Element {
        /// Its index.
        index: usize,
        /// What is wrong with it.
        #[source]
        problem: Box<ValueProblem>,
    },
    /// A kind of type that is not set from text: structs, unions, pointers.
    #[error(
        "a {kind} cannot be set from the command line (integers, enums, bools, chars, floats and arrays of them can)"
    )]
    NotSettable {
        /// The kind.
        kind: Kind,
    },
    /// The encoded value does not match the variable's size in its section.
    #[error("the type is {encoded} bytes but the variable takes {size}")]
    SizeMismatch {
        /// Bytes of the encoded value.
        encoded: usize,
        /// The variable's size.
        size: u32,
    },
    /// The type graph could not be followed.
    #[error("its type")]
    Btf(#[source] BtfError),
}
