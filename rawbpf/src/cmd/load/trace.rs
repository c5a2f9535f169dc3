//! trace_pipe lines as `rawbpf load` prints them: the kernel's own layout, or one JSON object
//! per line.

use loader::trace_pipe::TraceLine;

use crate::json::{obj, opt, Json};

/// One line for a person: `TIMESTAMP TASK-PID [CPU] MESSAGE`.
pub fn text(line: &TraceLine) -> String {
    match line {
        TraceLine::Event(e) => format!("{} {}-{} [{:03}] {}", e.timestamp, e.task, e.pid, e.cpu, e.message),
        other => other.message(),
    }
}

/// `{"ts":"12.345678","task":..,"pid":..,"cpu":..,"flags":..,"event":..,"message":..}` (plus
/// `tgid` when the kernel records it); `ts` is a string to keep the kernel's digits exactly.
pub fn json(line: &TraceLine) -> Json {
    match line {
        TraceLine::Event(e) => {
            let mut pairs = vec![("ts", Json::from(e.timestamp.to_string())), ("task", e.task.as_str().into())];
            pairs.push(("pid", e.pid.into()));
            if let Some(tgid) = e.tgid {
                pairs.push(("tgid", tgid.into()));
            }
            pairs.push(("cpu", e.cpu.into()));
            pairs.push(("flags", opt(e.flags.as_deref())));
            pairs.push(("event", e.event.as_str().into()));
            pairs.push(("message", e.message.as_str().into()));
            obj(pairs)
        }
        TraceLine::Lost { cpu, events } => obj([("lost_events", Json::from(*events)), ("cpu", (*cpu).into())]),
        TraceLine::Raw(s) => obj([("raw", Json::from(s.as_str()))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_the_kernel_digits_and_the_field_order() {
        let line = TraceLine::parse("  nc-75 [000] d..2 12.345678: bpf_trace_printk: say \"hi\"");
        assert_eq!(
            json(&line).to_string(),
            r#"{"ts":"12.345678","task":"nc","pid":75,"cpu":0,"flags":"d..2","event":"bpf_trace_printk","message":"say \"hi\""}"#
        );
        assert_eq!(json(&TraceLine::parse("junk")).to_string(), r#"{"raw":"junk"}"#);
        assert_eq!(json(&TraceLine::Lost { cpu: 2, events: 7 }).to_string(), r#"{"lost_events":7,"cpu":2}"#);
        assert_eq!(text(&line), "12.345678 nc-75 [000] say \"hi\"");
    }
}
