//! Initial slots of map-in-map and prog-array maps (`__array(values, ...)` initializers), as
//! libbpf's `init_map_in_map_slots` and `init_prog_array_slots` fill them: each slot's key is its
//! index, its value the fd of the map or program it names. Map slots are filled once every map
//! exists, program slots once the programs are loaded.

use std::os::fd::AsRawFd;

use super::LoadPins;
use crate::load::{LoadError, LoadedMap, LoadedProgram};
use crate::object::{MapDef, Object, SlotTarget};
use crate::progress::{Observer, Step};
use crate::sys;

/// Fills every map-in-map slot of `obj` with the fd of the map it names, except in maps reused
/// from a pin.
pub fn fill_maps(obj: &Object, maps: &[LoadedMap], pins: &LoadPins, obs: &mut dyn Observer) -> Result<(), LoadError> {
    // A map reused from a pin keeps the slots it has (libbpf fills only maps it created).
    for (def, outer) in obj.maps.iter().zip(maps).filter(|(_, m)| !pins.is_reused(&m.name)) {
        for (index, target) in slots(def).filter(|(_, t)| matches!(t, SlotTarget::Map(_))) {
            let SlotTarget::Map(name) = target else { continue };
            // The object model checked the name is one of its maps, and every map exists now.
            let Some(inner) = maps.iter().find(|m| &m.name == name) else { continue };
            fill(outer, index, inner.fd.as_raw_fd(), target, obs)?;
        }
    }
    Ok(())
}

/// Fills every prog-array slot with the fd of the program it names; a slot naming a program
/// that was not loaded (not selected) stays empty, and says so.
pub fn fill_programs(
    obj: &Object,
    maps: &[LoadedMap],
    programs: &[LoadedProgram],
    obs: &mut dyn Observer,
) -> Result<(), LoadError> {
    for (def, outer) in obj.maps.iter().zip(maps) {
        for (index, target) in slots(def).filter(|(_, t)| matches!(t, SlotTarget::Program(_))) {
            let SlotTarget::Program(name) = target else { continue };
            match programs.iter().find(|p| &p.name == name) {
                Some(p) => fill(outer, index, p.fd.as_raw_fd(), target, obs)?,
                None => obs.step(Step::SlotLeftEmpty { map: &def.name, index, program: name }),
            }
        }
    }
    Ok(())
}

fn slots(def: &MapDef) -> impl Iterator<Item = (u32, &SlotTarget)> {
    def.values.iter().flat_map(|v| v.slots.iter().map(|s| (s.index, &s.target)))
}

fn fill(outer: &LoadedMap, index: u32, fd: i32, target: &SlotTarget, obs: &mut dyn Observer) -> Result<(), LoadError> {
    let err = |source| LoadError::Slot { map: outer.name.clone(), index, target: target.clone(), source };
    sys::map_update_elem(&outer.fd, &index.to_ne_bytes(), &(fd as u32).to_ne_bytes(), sys::BPF_ANY).map_err(err)?;
    obs.step(Step::SlotFilled { map: &outer.name, index, target });
    Ok(())
}
