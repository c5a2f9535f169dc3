//! Initial slots of map-in-map and prog-array maps (`__array(values, ...)`), in words.

use loader::object::SlotTarget;

/// What a slot holds: `map NAME` or `program NAME`.
pub fn slot_words(t: &SlotTarget) -> String {
    match t {
        SlotTarget::Map(n) => format!("map {n}"),
        SlotTarget::Program(n) => format!("program {n}"),
    }
}
