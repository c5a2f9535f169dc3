//! Fixtures built in the test: a tiny BTF from [`BtfBuilder`], compressed with each codec, wrapped in a
//! minimal ELF, a bzImage header and a .deb; the BTF that comes out must be the bytes that went in.

use std::io::Write;

use super::*;
use crate::write::BtfBuilder;

fn tiny_btf() -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    b.struct_("pair", 8, &[("a", int, 0), ("b", int, 32)]);
    b.build()
}

/// A little-endian ELF64 with the sections given (name, bytes): just enough for `object` to find them.
pub(crate) fn elf_with(sections: &[(&str, &[u8])]) -> Vec<u8> {
    let mut shstrtab = vec![0u8];
    let mut names = Vec::new();
    for (name, _) in sections.iter().copied().chain([(".shstrtab", &[][..])]) {
        names.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
    }
    let mut body = vec![0u8; 64];
    let mut ranges = Vec::new();
    for (_, data) in sections.iter().copied().chain([("", &shstrtab[..])]) {
        ranges.push((body.len() as u64, data.len() as u64));
        body.extend_from_slice(data);
    }
    body.resize(body.len().next_multiple_of(8), 0);
    let shoff = body.len() as u64;
    let shnum = sections.len() as u16 + 2;
    body.extend_from_slice(&[0u8; 64]); // the null section
    for (i, &(off, len)) in ranges.iter().enumerate() {
        let sh_type: u32 = if i == sections.len() { 3 } else { 1 }; // STRTAB, PROGBITS
        let mut sh = Vec::with_capacity(64);
        sh.extend_from_slice(&names[i].to_le_bytes());
        sh.extend_from_slice(&sh_type.to_le_bytes());
        sh.extend_from_slice(&0u64.to_le_bytes()); // flags
        sh.extend_from_slice(&0u64.to_le_bytes()); // addr
        sh.extend_from_slice(&off.to_le_bytes());
        sh.extend_from_slice(&len.to_le_bytes());
        sh.extend_from_slice(&[0u8; 8]); // link, info
        sh.extend_from_slice(&1u64.to_le_bytes()); // addralign
        sh.extend_from_slice(&0u64.to_le_bytes()); // entsize
        body.extend_from_slice(&sh);
    }
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(b"\x7fELF\x02\x01\x01\x00");
    h.extend_from_slice(&[0u8; 8]);
    h.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    h.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&0u64.to_le_bytes()); // entry
    h.extend_from_slice(&0u64.to_le_bytes()); // phoff
    h.extend_from_slice(&shoff.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes()); // flags
    for v in [64u16, 56, 0, 64, shnum, shnum - 1] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    body[..64].copy_from_slice(&h);
    body
}

fn vmlinux() -> Vec<u8> {
    elf_with(&[(".text", &[0xcc; 100]), (".BTF", &tiny_btf()), (".data", &[1, 2, 3])])
}

pub(crate) fn compress(codec: Layer, data: &[u8]) -> Vec<u8> {
    match codec {
        Layer::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Layer::Bzip2 => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Layer::Xz => {
            let mut opts = lzma_rust2::XzOptions::with_preset(6);
            opts.prepend_pre_filter(lzma_rust2::FilterType::BcjX86, 0);
            let mut w = lzma_rust2::XzWriter::new(Vec::new(), opts).unwrap();
            w.write_all(data).unwrap();
            w.finish().unwrap()
        }
        Layer::Lzma => {
            let opts = lzma_rust2::LzmaOptions::with_preset(9);
            let mut w = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, None).unwrap();
            w.write_all(data).unwrap();
            w.finish().unwrap()
        }
        Layer::Lz4 => {
            let mut out = super::detect::LZ4_LEGACY_MAGIC.to_le_bytes().to_vec();
            for chunk in data.chunks(8 << 20) {
                let block = lz4_flex::block::compress(chunk);
                out.extend_from_slice(&(block.len() as u32).to_le_bytes());
                out.extend_from_slice(&block);
            }
            out
        }
        Layer::Lzo => lzop(data),
        Layer::Zstd => ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest),
        other => panic!("no encoder for {other}"),
    }
}

/// An lzop file as `lzop -9` writes it (version 0x1030, adler32 of data and of compressed data).
fn lzop(data: &[u8]) -> Vec<u8> {
    let mut out = super::detect::LZOP_MAGIC.to_vec();
    out.extend_from_slice(&0x1030u16.to_be_bytes());
    out.extend_from_slice(&0x2080u16.to_be_bytes());
    out.extend_from_slice(&0x0940u16.to_be_bytes());
    out.extend_from_slice(&[1, 9]); // method LZO1X-1, level
    out.extend_from_slice(&0x0300_0003u32.to_be_bytes()); // F_ADLER32_D | F_ADLER32_C | OS unix
    out.extend_from_slice(&[0u8; 12]); // mode, mtime low, mtime high
    out.push(0); // no name
    out.extend_from_slice(&[0u8; 4]); // header checksum (not checked)
    for chunk in data.chunks(256 * 1024) {
        let z = lzokay_native::compress(chunk).unwrap();
        let stored = z.len() >= chunk.len();
        out.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        out.extend_from_slice(&(if stored { chunk.len() } else { z.len() } as u32).to_be_bytes());
        out.extend_from_slice(&[0u8; 4]);
        if !stored {
            out.extend_from_slice(&[0u8; 4]);
        }
        out.extend_from_slice(if stored { chunk } else { &z });
    }
    out.extend_from_slice(&0u32.to_be_bytes());
    out
}

/// A bzImage whose payload is `vmlinux` in `codec`, with the length trailer the kernel's build appends.
pub(crate) fn bzimage(codec: Layer, vmlinux: &[u8]) -> Vec<u8> {
    let mut payload = compress(codec, vmlinux);
    if codec != Layer::Gzip {
        payload.extend_from_slice(&(vmlinux.len() as u32).to_le_bytes());
    }
    let mut img = vec![0u8; 2 * 512 + 0x40];
    img[0x1f1] = 1; // one setup sector: protected-mode code at 1024
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    img[0x248..0x24c].copy_from_slice(&0x40u32.to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    img.extend_from_slice(&payload);
    img.extend_from_slice(&[0u8; 16]); // what follows the payload in a real image
    img
}

/// A .deb with `files` (path, bytes) in its data.tar, compressed with `codec` (None: plain tar).
pub(crate) fn deb(files: &[(&str, &[u8])], codec: Option<Layer>) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, path, *data).unwrap();
    }
    let tar = tar.into_inner().unwrap();
    let (name, data) = match codec {
        None => ("data.tar".to_string(), tar),
        Some(c) => (
            format!(
                "data.tar.{}",
                match c {
                    Layer::Xz => "xz",
                    Layer::Zstd => "zst",
                    Layer::Gzip => "gz",
                    _ => "bz2",
                }
            ),
            compress(c, &tar),
        ),
    };
    let mut ar = ar::Builder::new(Vec::new());
    for (n, d) in [("debian-binary", &b"2.0\n"[..]), ("control.tar.xz", &b"not read"[..]), (name.as_str(), &data[..])] {
        ar.append(&ar::Header::new(n.as_bytes().to_vec(), d.len() as u64), d).unwrap();
    }
    ar.into_inner().unwrap()
}

fn layers(x: &Extracted) -> Vec<Layer> {
    x.steps.iter().map(|s| s.layer).collect()
}

const CODECS: [Layer; 7] = [Layer::Gzip, Layer::Bzip2, Layer::Xz, Layer::Lzma, Layer::Lz4, Layer::Lzo, Layer::Zstd];

#[test]
fn raw_btf_is_returned_as_is() {
    let x = extract(&tiny_btf(), &Limits::default()).unwrap();
    assert_eq!(x.btf, tiny_btf());
    assert_eq!(layers(&x), [Layer::Btf]);
}

#[test]
fn elf_gives_its_btf_section() {
    let x = extract(&vmlinux(), &Limits::default()).unwrap();
    assert_eq!(x.btf, tiny_btf());
    assert_eq!(layers(&x), [Layer::Elf, Layer::Btf]);
    assert_eq!(x.steps[0].output_len, tiny_btf().len() as u64);
}

#[test]
fn every_codec_round_trips_bare() {
    for codec in CODECS {
        let x = extract(&compress(codec, &vmlinux()), &Limits::default()).unwrap_or_else(|e| panic!("{codec}: {e}"));
        assert_eq!(x.btf, tiny_btf(), "{codec}");
        assert_eq!(layers(&x), [codec, Layer::Elf, Layer::Btf]);
    }
}

#[test]
fn every_codec_round_trips_in_a_bzimage() {
    for codec in CODECS {
        let img = bzimage(codec, &vmlinux());
        let x = extract(&img, &Limits::default()).unwrap_or_else(|e| panic!("{codec}: {e}"));
        assert_eq!(x.btf, tiny_btf(), "{codec}");
        assert_eq!(layers(&x), [Layer::BzImage, codec, Layer::Elf, Layer::Btf]);
        assert_eq!(x.steps[0].offset, 1024 + 0x40);
        assert_eq!(x.steps[1].output_len, vmlinux().len() as u64);
    }
}

#[test]
fn setup_sects_zero_means_four() {
    let mut img = bzimage(Layer::Zstd, &vmlinux());
    img[0x1f1] = 0;
    let mut moved = img[..1024].to_vec();
    moved.resize(5 * 512, 0);
    moved.extend_from_slice(&img[1024..]);
    assert_eq!(extract(&moved, &Limits::default()).unwrap().btf, tiny_btf());
}

#[test]
fn deb_gives_the_kernel_inside() {
    let img = bzimage(Layer::Lz4, &vmlinux());
    let files: [(&str, &[u8]); 3] = [
        ("./lib/modules/x/a.ko", b"module"),
        ("./boot/config-6.1.0-1-amd64", b"CONFIG_X=y"),
        ("./boot/vmlinuz-6.1.0-1-amd64", &img),
    ];
    for codec in [None, Some(Layer::Xz), Some(Layer::Zstd), Some(Layer::Gzip)] {
        let x = extract(&deb(&files, codec), &Limits::default()).unwrap_or_else(|e| panic!("{codec:?}: {e}"));
        assert_eq!(x.btf, tiny_btf());
        assert_eq!(layers(&x), [Layer::Deb, Layer::BzImage, Layer::Lz4, Layer::Elf, Layer::Btf]);
        assert!(x.steps[0].detail.as_deref().unwrap().ends_with("boot/vmlinuz-6.1.0-1-amd64"), "{:?}", x.steps[0]);
    }
}

#[test]
fn dbg_deb_gives_the_vmlinux() {
    let v = vmlinux();
    let x = extract(&deb(&[("./usr/lib/debug/boot/vmlinux-6.1.0-1-amd64", &v)], Some(Layer::Xz)), &Limits::default())
        .unwrap();
    assert_eq!(x.btf, tiny_btf());
}

#[test]
fn deb_without_a_kernel_says_so() {
    let e = extract(
        &deb(&[("./usr/share/doc/x", b"doc"), ("./boot/vmlinuz-", b"no version")], Some(Layer::Gzip)),
        &Limits::default(),
    );
    assert!(matches!(e, Err(ImageError::NoKernel { files: 2 })), "{e:?}");
}

#[test]
fn unknown_bytes_are_unrecognized() {
    let e = extract(b"hello, world", &Limits::default());
    assert!(matches!(&e, Err(ImageError::Unrecognized { after: Layer::Input, head }) if head == b"hello, w"), "{e:?}");
    let e = extract(&compress(Layer::Gzip, b"plain text"), &Limits::default());
    assert!(matches!(e, Err(ImageError::Unrecognized { after: Layer::Gzip, .. })), "{e:?}");
}

#[test]
fn elf_without_btf_says_so() {
    let e = extract(&elf_with(&[(".text", &[0x90; 8])]), &Limits::default());
    assert!(matches!(e, Err(ImageError::NoBtfSection)), "{e:?}");
}

#[test]
fn truncated_bzimage_payload_is_truncated() {
    let img = bzimage(Layer::Lz4, &vmlinux());
    let cut = &img[..img.len() - 40];
    let e = extract(cut, &Limits::default());
    assert!(matches!(e, Err(ImageError::Truncated { layer: Layer::BzImage, offset: 1088, .. })), "{e:?}");
    let e = extract(&img[..0x230], &Limits::default());
    assert!(matches!(e, Err(ImageError::Truncated { layer: Layer::BzImage, .. })), "{e:?}");
}

#[test]
fn old_boot_protocol_is_refused() {
    let mut img = bzimage(Layer::Gzip, &vmlinux());
    img[0x206..0x208].copy_from_slice(&0x0204u16.to_le_bytes());
    let e = extract(&img, &Limits::default());
    assert!(matches!(e, Err(ImageError::Malformed { layer: Layer::BzImage, offset: 0x206, .. })), "{e:?}");
}

#[test]
fn wrong_length_trailer_is_a_mismatch() {
    let mut img = bzimage(Layer::Zstd, &vmlinux());
    let trailer_at = 1024 + 0x40 + u32::from_le_bytes(img[0x24c..0x250].try_into().unwrap()) as usize - 4;
    img[trailer_at] ^= 1;
    let e = extract(&img, &Limits::default());
    assert!(matches!(e, Err(ImageError::SizeMismatch { layer: Layer::Zstd, .. })), "{e:?}");
}

#[test]
fn corrupt_streams_fail_to_decode() {
    for codec in CODECS {
        let mut z = compress(codec, &vmlinux());
        let n = z.len();
        // Past each format's header, flip bytes in the body; then cut the stream short.
        for b in &mut z[n / 2..n / 2 + 8.min(n / 4)] {
            *b ^= 0x5a;
        }
        let flipped = extract(&z, &Limits::default());
        let cut = extract(&z[..n * 3 / 4], &Limits::default());
        for e in [flipped, cut] {
            assert!(
                matches!(&e, Err(ImageError::Decode { layer, .. } | ImageError::Truncated { layer, .. } | ImageError::Malformed { layer, .. } | ImageError::SizeMismatch { layer, .. }) if *layer == codec)
                    || matches!(
                        &e,
                        Err(ImageError::Elf { .. } | ImageError::NoBtfSection | ImageError::Unrecognized { .. })
                    ),
                "{codec}: {e:?}"
            );
        }
    }
}

#[test]
fn output_limit_is_enforced() {
    let big = vec![0u8; 1 << 20];
    let limits = Limits { max_output: 64 * 1024, ..Limits::default() };
    for codec in CODECS {
        let e = extract(&compress(codec, &big), &limits);
        assert!(matches!(e, Err(ImageError::TooLarge { layer, limit: 65536 }) if layer == codec), "{codec}: {e:?}");
    }
    let e = extract(&deb(&[("./boot/vmlinuz-1", &big)], Some(Layer::Xz)), &limits);
    assert!(matches!(e, Err(ImageError::TooLarge { .. })), "{e:?}");
}

#[test]
fn nesting_depth_is_enforced() {
    let mut data = tiny_btf();
    for _ in 0..4 {
        data = compress(Layer::Gzip, &data);
    }
    assert_eq!(extract(&data, &Limits::default()).unwrap().btf, tiny_btf());
    let e = extract(&data, &Limits { max_depth: 3, ..Limits::default() });
    assert!(matches!(e, Err(ImageError::TooDeep { max: 3 })), "{e:?}");
}

#[test]
fn hostile_lzma_dictionary_is_refused_before_allocation() {
    let mut z = vec![0x5d, 0, 0, 0, 0xff]; // 4 GiB dictionary
    z.extend_from_slice(&u64::MAX.to_le_bytes());
    z.extend_from_slice(&[0; 16]);
    let e = extract(&z, &Limits::default());
    assert!(matches!(e, Err(ImageError::Decode { layer: Layer::Lzma, .. })), "{e:?}");
}

#[test]
fn lz4_oversized_block_is_malformed() {
    let mut z = super::detect::LZ4_LEGACY_MAGIC.to_le_bytes().to_vec();
    z.extend_from_slice(&u32::MAX.to_le_bytes());
    let e = extract(&z, &Limits::default());
    assert!(matches!(e, Err(ImageError::Malformed { layer: Layer::Lz4, offset: 4, .. })), "{e:?}");
}
