//! Global variables in words: why a `--set` was refused, and each variable with its value.

use loader::globals::SetError;

use super::error::chain;

/// A refused `--set`, with the names that were meant or could be set.
pub fn set_error(e: &SetError) -> String {
    match e {
        SetError::UnknownVariable { name, known, .. } if known.is_empty() => {
            format!("no global variable '{name}': this object has no global variables to set")
        }
        SetError::UnknownVariable { name, close, known } => {
            let hint = match close.first() {
                Some(c) => format!("; did you mean '{c}'?"),
                None => String::new(),
            };
            format!("no global variable '{name}'{hint} (settable: {})", known.join(", "))
        }
        other => chain(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_get_the_closest_and_the_list() {
        let e = SetError::UnknownVariable {
            name: "target_pdi".into(),
            close: vec!["target_pid".into()],
            known: vec!["target_pid".into(), "level".into()],
        };
        assert_eq!(
            set_error(&e),
            "no global variable 'target_pdi'; did you mean 'target_pid'? (settable: target_pid, level)"
        );
        let e = SetError::UnknownVariable { name: "x".into(), close: vec![], known: vec![] };
        assert_eq!(set_error(&e), "no global variable 'x': this object has no global variables to set");
    }
}
