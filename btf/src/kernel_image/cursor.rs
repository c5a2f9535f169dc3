//! Bounds-checked reads over one layer's bytes, failing with that layer's [`ImageError::Truncated`].

use std::io::Read;

use super::error::{ImageError, Layer};

/// A position in `data`; every read checks the length first.
pub(super) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    layer: Layer,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(data: &'a [u8], layer: Layer) -> Self {
        Cursor { data, pos: 0, layer }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes.
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], ImageError> {
        if n > self.remaining() {
            return Err(ImageError::Truncated {
                layer: self.layer,
                offset: self.pos as u64,
                need: n as u64,
                have: self.data.len() as u64,
            });
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(super) fn u8(&mut self) -> Result<u8, ImageError> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn be16(&mut self) -> Result<u16, ImageError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(super) fn be32(&mut self) -> Result<u32, ImageError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(super) fn le32(&mut self) -> Result<u32, ImageError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A reader over a slice that remembers how far it got, so a decoder's error can say where.
pub(super) struct Counting<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Counting<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Counting { data, pos: 0 }
    }

    pub(super) fn pos(&self) -> u64 {
        self.pos as u64
    }
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads `r` to its end, refusing to hold more than `limit` bytes.
pub(super) fn read_capped(mut r: impl Read, limit: u64, layer: Layer) -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::new();
    (&mut r).take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(too_large(layer, limit));
    }
    Ok(out)
}

/// The io::Error that [`read_capped`] and [`Capped`] return on hitting the limit; [`from_io`] turns it back
/// into [`ImageError::TooLarge`].
fn too_large(layer: Layer, limit: u64) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::FileTooLarge, TooLargeMarker { layer, limit })
}

#[derive(Debug, thiserror::Error)]
#[error("{layer} output exceeds {limit} bytes")]
struct TooLargeMarker {
    layer: Layer,
    limit: u64,
}

/// Maps a decoder's io::Error to [`ImageError`]: the cap's marker becomes `TooLarge`, the rest `Decode`.
pub(super) fn from_io(e: std::io::Error, layer: Layer, consumed: u64) -> ImageError {
    if let Some(m) = e.get_ref().and_then(|inner| inner.downcast_ref::<TooLargeMarker>()) {
        return ImageError::TooLarge { layer: m.layer, limit: m.limit };
    }
    ImageError::Decode { layer, offset: consumed, source: e }
}

/// A reader that fails once more than `left` bytes have come through it (streamed layers: the .deb's
/// data.tar, whose entries are skipped rather than held).
pub(super) struct Capped<R> {
    inner: R,
    left: u64,
    layer: Layer,
    limit: u64,
}

impl<R: Read> Capped<R> {
    pub(super) fn new(inner: R, limit: u64, layer: Layer) -> Self {
        Capped { inner, left: limit, layer, limit }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One probe byte tells "ended exactly at the limit" from "goes on past it".
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(too_large(self.layer, self.limit)),
            };
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}
