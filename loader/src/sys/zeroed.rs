//! Zero-filled memory whose pages cost nothing until written: a private anonymous mapping.
//! A BPF object is read into one section by section (`object::read`), so the debug info it
//! never reads (~95% of a clang-built object) never becomes part of the process's memory; a
//! zeroed `Vec` would not guarantee that (the allocator may hand back used memory and clear it).

use std::io;
use std::ptr::NonNull;

/// A private, read-write anonymous mapping of `len` zero bytes, unmapped on drop.
#[derive(Debug)]
pub struct ZeroedBuf {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is private to this value and only reached through `&self`/`&mut self`,
// so sharing or moving it across threads is as safe as for a `Vec<u8>`.
unsafe impl Send for ZeroedBuf {}
// SAFETY: as above: `&self` gives only shared reads.
unsafe impl Sync for ZeroedBuf {}

impl ZeroedBuf {
    /// Maps `len` (> 0) zero bytes.
    pub fn new(len: usize) -> io::Result<ZeroedBuf> {
        if len == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty mapping"));
        }
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        // SAFETY: a new anonymous mapping at an address the kernel picks: no existing memory is
        // affected, no fd is involved, and the result is checked below.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, -1, 0) };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidData))?;
        Ok(ZeroedBuf { ptr, len })
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` is a live read-write mapping until `drop`, owned by `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The bytes, to fill.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes this the only reference to the mapping.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for ZeroedBuf {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; no slice of it outlives `self`.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_zeroed_and_keeps_what_is_written() {
        let mut b = ZeroedBuf::new(3 * 4096 + 5).unwrap();
        assert!(b.bytes().iter().all(|&x| x == 0));
        b.bytes_mut()[4096..4100].copy_from_slice(b"rawb");
        assert_eq!(&b.bytes()[4094..4102], b"\0\0rawb\0\0");
        assert_eq!(b.bytes().len(), 3 * 4096 + 5);
        assert!(ZeroedBuf::new(0).is_err());
    }
}
