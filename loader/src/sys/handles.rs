//! Kernel object ids and file descriptors as distinct types, so a map fd cannot be passed where a
//! program fd is wanted, nor a BTF object id where a map id is.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

macro_rules! kernel_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The id as the kernel numbers it.
            pub const fn new(id: u32) -> Self {
                $name(id)
            }

            /// The number.
            pub const fn get(self) -> u32 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

kernel_id!(
    /// A loaded program's kernel-wide id (`bpftool prog show id N`).
    ProgId
);
kernel_id!(
    /// A map's kernel-wide id.
    MapId
);
kernel_id!(
    /// A link's kernel-wide id.
    LinkId
);
kernel_id!(
    /// A BTF object's kernel-wide id (vmlinux, a module, or an object's loaded BTF); not a type id.
    BtfId
);

macro_rules! kernel_fd {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(OwnedFd);

        impl $name {
            /// Takes ownership of an fd known to refer to this kind of object.
            pub fn from_owned(fd: OwnedFd) -> Self {
                $name(fd)
            }

            /// Gives the fd back.
            pub fn into_owned(self) -> OwnedFd {
                self.0
            }

            /// A second fd for the same object.
            pub fn try_clone(&self) -> std::io::Result<Self> {
                self.0.try_clone().map($name)
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.0.as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.0.as_raw_fd()
            }
        }
    };
}

kernel_fd!(
    /// A program, as `BPF_PROG_LOAD` or `BPF_PROG_GET_FD_BY_ID` returns it.
    ProgFd
);
kernel_fd!(
    /// A map.
    MapFd
);
kernel_fd!(
    /// A BTF object (the object's own, or the kernel's / a module's).
    BtfFd
);
kernel_fd!(
    /// An attachment: a bpf_link, a raw tracepoint, or a perf event a program hangs on.
    LinkFd
);
kernel_fd!(
    /// A perf event (`perf_event_open`).
    PerfEventFd
);
