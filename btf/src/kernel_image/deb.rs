//! A Debian binary package: an `ar` archive whose `data.tar[.xz|.zst|.gz|.bz2]` member holds the files. The
//! kernel image is `boot/vmlinuz-*` (linux-image-*) or `usr/lib/debug/boot/vmlinux-*` (the -dbg package). The
//! tar is streamed: only the kernel's entry is held in memory, the modules around it are skipped.

use std::io::Read;

use super::cursor::{from_io, Capped, Counting};
use super::decompress::reader;
use super::error::{ImageError, Layer};
use super::Limits;

/// The kernel found in a package.
pub(super) struct Found {
    /// The data member's name (`data.tar.xz`).
    pub member: String,
    /// The tar entry's path (`./boot/vmlinuz-6.1.0-…`).
    pub path: String,
    /// The entry's bytes.
    pub bytes: Vec<u8>,
}

/// Finds the kernel image in the package `data`.
pub(super) fn kernel(data: &[u8], limits: &Limits) -> Result<Found, ImageError> {
    let (member, tar_bytes) = data_member(data, limits)?;
    let codec = match member.strip_prefix("data.tar").unwrap_or_default() {
        "" => None,
        ".xz" => Some(Layer::Xz),
        ".zst" => Some(Layer::Zstd),
        ".gz" => Some(Layer::Gzip),
        ".bz2" => Some(Layer::Bzip2),
        _ => {
            return Err(ImageError::Malformed {
                layer: Layer::Deb,
                offset: 0,
                what: "data.tar with an unknown compression",
            })
        }
    };
    let mut counting = Counting::new(&tar_bytes);
    let layer = codec.unwrap_or(Layer::Tar);
    let found = match codec {
        None => find_in_tar(&mut counting, limits),
        Some(c) => match reader(c, &mut counting) {
            Ok(r) => find_in_tar(Capped::new(r, limits.max_output, c), limits),
            Err(e) => Err(from_io(e, c, 0)),
        },
    };
    let (path, bytes) = found.map_err(|e| match e {
        ImageError::Decode { source, .. } => from_io(source, layer, counting.pos()),
        other => other,
    })?;
    Ok(Found { member, path, bytes })
}

/// The name and bytes of the package's `data.tar*` member.
fn data_member(data: &[u8], limits: &Limits) -> Result<(String, Vec<u8>), ImageError> {
    let mut counting = Counting::new(data);
    let mut archive = ar::Archive::new(&mut counting);
    loop {
        let entry = match archive.next_entry() {
            None => return Err(ImageError::NoDataTar),
            Some(Err(e)) => return Err(ImageError::Decode { layer: Layer::Deb, offset: 0, source: e }),
            Some(Ok(entry)) => entry,
        };
        let name = String::from_utf8_lossy(entry.header().identifier()).into_owned();
        if !name.starts_with("data.tar") {
            continue;
        }
        if entry.header().size() > limits.max_output {
            return Err(ImageError::TooLarge { layer: Layer::Deb, limit: limits.max_output });
        }
        let mut bytes = Vec::new();
        let mut entry = entry;
        entry.read_to_end(&mut bytes).map_err(|source| ImageError::Decode { layer: Layer::Deb, offset: 0, source })?;
        return Ok((name, bytes));
    }
}

/// Whether a tar path names a kernel image.
fn is_kernel(path: &str) -> bool {
    let path = path.trim_start_matches("./");
    path.strip_prefix("boot/vmlinuz-").is_some_and(|v| !v.is_empty() && !v.contains('/'))
        || path.strip_prefix("usr/lib/debug/boot/vmlinux-").is_some_and(|v| !v.is_empty() && !v.contains('/'))
}

/// The first regular file of the tar stream `r` that [`is_kernel`]; its path and bytes.
fn find_in_tar(r: impl Read, limits: &Limits) -> Result<(String, Vec<u8>), ImageError> {
    let decode = |source| ImageError::Decode { layer: Layer::Tar, offset: 0, source };
    let mut archive = tar::Archive::new(r);
    let mut files = 0u64;
    for entry in archive.entries().map_err(decode)? {
        let mut entry = entry.map_err(decode)?;
        files += 1;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if !entry.header().entry_type().is_file() || !is_kernel(&path) {
            continue;
        }
        let size = entry.header().size().map_err(decode)?;
        if size > limits.max_output {
            return Err(ImageError::TooLarge { layer: Layer::Tar, limit: limits.max_output });
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(decode)?;
        return Ok((path, bytes));
    }
    Err(ImageError::NoKernel { files })
}
