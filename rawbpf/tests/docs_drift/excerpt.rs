//! Matching a quote against an output: a quoted `...` line stands for any number of lines.

/// Whether `expected` (with `...` gaps) matches `actual`: the lines between gaps appear
/// consecutively and in order; the quote is anchored to the output's first line unless it starts
/// with `...`, and to its last unless it ends with `...`. On failure, the first line not found.
pub fn matches(expected: &[String], actual: &[&str]) -> Result<(), String> {
    let chunks: Vec<&[String]> = expected.split(|l| l == "...").collect();
    let open_start = expected.first().is_some_and(|l| l == "...");
    let open_end = expected.last().is_some_and(|l| l == "...");
    let mut pos = 0;
    let n = chunks.len();
    for (k, chunk) in chunks.iter().enumerate() {
        if chunk.is_empty() {
            continue;
        }
        let fits = |at: usize| at + chunk.len() <= actual.len() && chunk.iter().zip(&actual[at..]).all(|(a, b)| a == b);
        let found = if k == 0 && !open_start {
            fits(0).then_some(0)
        } else if k == n - 1 && !open_end {
            actual.len().checked_sub(chunk.len()).filter(|&at| at >= pos && fits(at))
        } else {
            (pos..=actual.len().saturating_sub(chunk.len())).find(|&at| fits(at))
        };
        let Some(at) = found else {
            let rest = &actual[pos.min(actual.len())..];
            let missing = chunk.iter().find(|l| !rest.contains(&l.as_str())).unwrap_or(&chunk[0]);
            return Err(format!("quoted line not found in order: {missing:?}"));
        };
        pos = at + chunk.len();
    }
    if !open_end && pos != actual.len() {
        return Err(format!("output has more lines after the quote, first: {:?}", actual[pos]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_match_excerpts_and_a_changed_line_fails() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let actual = ["a", "b", "c", "d"];
        assert!(matches(&v(&["a", "b", "c", "d"]), &actual).is_ok());
        assert!(matches(&v(&["a", "...", "d"]), &actual).is_ok());
        assert!(matches(&v(&["...", "b", "c", "..."]), &actual).is_ok());
        assert!(matches(&v(&["a", "b"]), &actual).is_err(), "an unanchored end must be exact");
        assert!(matches(&v(&["...", "c", "b", "..."]), &actual).is_err(), "order matters");
        assert!(matches(&v(&["a", "...", "x"]), &actual).is_err());
        assert!(matches(&v(&["b", "..."]), &actual).is_err(), "the start is anchored");
    }
}
