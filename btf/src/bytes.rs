//! `Bytes`: the buffer a [`crate::Btf`] decodes from, either owned or shared with whoever
//! produced it. Sharing lets a caller hand in memory this crate cannot create itself (the
//! loader maps `/sys/kernel/btf/vmlinux` read-only instead of copying 5 MB through 4 KiB
//! reads), while this crate stays free of `unsafe` and syscalls.

use std::fmt;
use std::sync::Arc;

/// Bytes owned elsewhere that stay valid while the `Arc` lives.
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// The bytes of one BTF blob.
#[derive(Clone)]
pub enum Bytes {
    /// A buffer the `Btf` owns (read from a file, copied out of an ELF section, built).
    Owned(Vec<u8>),
    /// Bytes shared with their owner, for example a read-only file mapping.
    Shared(SharedBytes),
}

impl Bytes {
    /// The bytes as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Shared(s) => (**s).as_ref(),
        }
    }

    /// Heap bytes this buffer holds itself (shared bytes belong to their owner).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Bytes::Owned(v) => v.capacity(),
            Bytes::Shared(_) => 0,
        }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Bytes {
        Bytes::Owned(v)
    }
}

impl From<SharedBytes> for Bytes {
    fn from(s: SharedBytes) -> Bytes {
        Bytes::Shared(s)
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self {
            Bytes::Owned(_) => "owned",
            Bytes::Shared(_) => "shared",
        };
        write!(f, "Bytes({how}, {} bytes)", self.as_slice().len())
    }
}
