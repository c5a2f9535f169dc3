//! An LZO1X block decoder, every read and look-back checked. (The pure-Rust lzokay-native indexes its output
//! unchecked and panics on corrupt input; the other Rust LZO crates are GPL or bind C.) The instruction set is
//! that of lzokay / the kernel's lib/lzo/lzo1x_decompress_safe.c: literal runs, and matches M1–M4 whose last
//! two bits say how many literals follow; an M4 with distance 0 ends the stream.

/// Why a block does not decode: the input position and what was wrong.
pub(super) type Fault = (usize, &'static str);

struct In<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> In<'a> {
    fn byte(&mut self) -> Result<usize, Fault> {
        let b = *self.data.get(self.pos).ok_or((self.pos, "stream ends inside an instruction"))?;
        self.pos += 1;
        Ok(usize::from(b))
    }

    fn le16(&mut self) -> Result<usize, Fault> {
        Ok(self.byte()? | self.byte()? << 8)
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Fault> {
        let end =
            self.pos.checked_add(n).filter(|&e| e <= self.data.len()).ok_or((self.pos, "literal run past the end"))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// A long length: `base`, plus 255 per zero byte, plus the first non-zero byte.
    fn long_len(&mut self, base: usize) -> Result<usize, Fault> {
        let mut len = base;
        loop {
            match self.byte()? {
                0 => len = len.checked_add(255).ok_or((self.pos, "length overflows"))?,
                b => return Ok(len + b),
            }
        }
    }
}

/// Decodes one LZO1X block that must yield at most `cap` bytes.
pub(super) fn decompress(data: &[u8], cap: usize) -> Result<Vec<u8>, Fault> {
    let mut ip = In { data, pos: 0 };
    let mut out = Vec::with_capacity(cap);
    let mut state = 0;
    // The first byte may be a literal run of its own encoding (17 + n).
    if let Some(&b) = data.first() {
        let b = usize::from(b);
        if b >= 18 {
            ip.pos = 1;
            state = if b >= 22 { 4 } else { b - 17 };
            push(&mut out, ip.bytes(b - 17)?, cap, ip.pos)?;
        }
    }
    loop {
        let inst = ip.byte()?;
        let (len, dist, next) = if inst >= 64 {
            ((inst >> 5) + 1, (ip.byte()? << 3) + ((inst >> 2) & 7) + 1, inst & 3)
        } else if inst >= 32 {
            let len = match inst & 31 {
                0 => ip.long_len(33)?,
                l => l + 2,
            };
            let d = ip.le16()?;
            (len, (d >> 2) + 1, d & 3)
        } else if inst >= 16 {
            let len = match inst & 7 {
                0 => ip.long_len(9)?,
                l => l + 2,
            };
            let d = ip.le16()?;
            let dist = ((inst & 8) << 11) + (d >> 2);
            if dist == 0 {
                return if len == 3 { Ok(out) } else { Err((ip.pos, "end marker of the wrong length")) };
            }
            (len, dist + 16384, d & 3)
        } else if state == 0 {
            let len = match inst {
                0 => ip.long_len(18)?,
                l => l + 3,
            };
            push(&mut out, ip.bytes(len)?, cap, ip.pos)?;
            state = 4;
            continue;
        } else if state != 4 {
            (2, (inst >> 2) + (ip.byte()? << 2) + 1, inst & 3)
        } else {
            (3, (inst >> 2) + (ip.byte()? << 2) + 2049, inst & 3)
        };
        copy_match(&mut out, dist, len, cap, ip.pos)?;
        push(&mut out, ip.bytes(next)?, cap, ip.pos)?;
        state = next;
    }
}

fn push(out: &mut Vec<u8>, bytes: &[u8], cap: usize, pos: usize) -> Result<(), Fault> {
    if out.len() + bytes.len() > cap {
        return Err((pos, "block decodes to more than its declared length"));
    }
    out.extend_from_slice(bytes);
    Ok(())
}

/// Appends `len` bytes copied from `dist` back (overlapping copies repeat, as LZ77 means them).
fn copy_match(out: &mut Vec<u8>, dist: usize, len: usize, cap: usize, pos: usize) -> Result<(), Fault> {
    if dist > out.len() {
        return Err((pos, "match reaches before the start of the block"));
    }
    if out.len().saturating_add(len) > cap {
        return Err((pos, "block decodes to more than its declared length"));
    }
    let start = out.len() - dist;
    for i in 0..len {
        out.push(out[start + i]);
    }
    Ok(())
}
