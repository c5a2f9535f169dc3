//! What the pipeline does, step by step, as data. A caller passes an [`Observer`] to follow a
//! load or an attachment as it happens (`rawbpf load --explain` prints each step); the library
//! itself prints nothing. The syscalls underneath are reported separately, as `tracing` events
//! on target `rawbpf::sys`.

use std::path::Path;

use crate::attach::Link;
use crate::attach::Mechanism;
use crate::co_re::CoreDecision;
use crate::externs::Value;
use crate::features::Features;
use crate::kernel_btf::BtfChange;
use crate::load::{AttachTarget, MapAdjustment};
use crate::memlock::Memlock;
use crate::object::{Extern, ExternIndex, Object, ProgramIndex, SlotTarget};
use crate::sys::{self, MapId, MapType, ProgInfo, ProgType, SysError};

/// One step of a load or an attachment.
#[derive(Debug)]
pub enum Step<'a> {
    /// Which programs of the object will be loaded (the named ones, or those loaded by
    /// default); the others are left alone, their sections and relocations unprocessed.
    Selected {
        /// The object.
        obj: &'a Object,
        /// The programs to load, in order.
        programs: &'a [ProgramIndex],
    },
    /// What was done about `RLIMIT_MEMLOCK` before creating anything.
    Memlock(Memlock),
    /// The BTF kinds the running kernel's BTF checker accepts (probed once per process).
    Features(&'a Features),
    /// The object has no `.BTF`: maps get no BTF types, programs no line info.
    NoObjectBtf,
    /// One change made to the object's BTF so this kernel accepts it.
    BtfChange(&'a BtfChange),
    /// The kernel refused the object's BTF even so; programs load without func/line info.
    ObjectBtfRefused(&'a sys::LoggedError),
    /// The running kernel's BTF, opened for CO-RE and attach targets.
    KernelBtf {
        /// Its number of types.
        types: u32,
        /// Where it was read.
        path: &'a Path,
    },
    /// The kernel exposes no BTF: the `--btf` file stands in for it (CO-RE, typed externs);
    /// programs that attach by kernel BTF id cannot load.
    KernelBtfStandIn {
        /// Its number of types.
        types: u32,
        /// The file.
        path: &'a Path,
    },
    /// An extern (`__kconfig`, `__ksym`) resolved for the running kernel.
    Extern {
        /// Its position in `Object::externs`.
        index: ExternIndex,
        /// The extern.
        ext: &'a Extern,
        /// What it resolved to.
        value: &'a Value,
    },
    /// One CO-RE relocation resolved and applied (or poisoned).
    Core(&'a CoreDecision),
    /// A map's declaration was adjusted before creating it, as libbpf adjusts it.
    MapAdjusted {
        /// Its name in the object.
        name: &'a str,
        /// What changed.
        adjustment: &'a MapAdjustment,
    },
    /// The kernel refused a map with BTF key/value types; it is created once more without.
    MapBtfRetry {
        /// Its name in the object.
        name: &'a str,
        /// Why the first creation failed.
        error: &'a SysError,
    },
    /// A `LIBBPF_PIN_BY_NAME` map was found pinned and compatible: its fd is used, nothing is
    /// created and no initial data written.
    MapReused {
        /// Its name in the object.
        name: &'a str,
        /// The pin.
        path: &'a Path,
        /// The pinned map's kernel id.
        id: MapId,
    },
    /// A `LIBBPF_PIN_BY_NAME` map was created and pinned; the pin outlives the process.
    MapPinned {
        /// Its name in the object.
        name: &'a str,
        /// The pin.
        path: &'a Path,
        /// Its kernel id.
        id: MapId,
    },
    /// An initial slot of a map-in-map or prog array was filled.
    SlotFilled {
        /// The map-in-map or prog array.
        map: &'a str,
        /// The slot (key).
        index: u32,
        /// What went there.
        target: &'a SlotTarget,
    },
    /// A prog-array slot names a program that was not loaded: it stays empty.
    SlotLeftEmpty {
        /// The prog array.
        map: &'a str,
        /// The slot.
        index: u32,
        /// The program not loaded.
        program: &'a str,
    },
    /// A map was created.
    MapCreated {
        /// Its name in the object.
        name: &'a str,
        /// Its type.
        map_type: MapType,
        /// Its kernel id.
        id: MapId,
    },
    /// A tracing program's attach target was found in kernel BTF.
    AttachTarget {
        /// The program.
        program: &'a str,
        /// Where it attaches.
        target: &'a AttachTarget,
    },
    /// A program passed the verifier.
    ProgramLoaded {
        /// Its name.
        name: &'a str,
        /// Its type.
        prog_type: ProgType,
        /// What the kernel says about it.
        info: &'a ProgInfo,
        /// Instructions sent.
        insns: usize,
    },
    /// An attachment fell back to an older mechanism after the newer one was refused.
    AttachFallback {
        /// The program.
        program: &'a str,
        /// The mechanism that was refused.
        from: Mechanism,
        /// The one tried next.
        to: Mechanism,
        /// Why the first was refused.
        error: &'a SysError,
    },
    /// A program was attached.
    Attached(&'a Link),
    /// tracefs was not mounted, and was mounted here.
    TracefsMounted(&'a Path),
}

/// Follows the steps of a load or an attachment.
pub trait Observer {
    /// Called for each step, in order, as it happens.
    fn step(&mut self, step: Step<'_>);
}

impl<F: FnMut(Step<'_>)> Observer for F {
    fn step(&mut self, step: Step<'_>) {
        self(step)
    }
}

/// An observer that ignores every step.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {
    fn step(&mut self, _: Step<'_>) {}
}
