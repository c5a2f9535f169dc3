//! `rawbpf btf extract` end to end: fixture images made here (a gzip'd BTF in a fake bzImage, inside a tiny
//! .deb), the host's own BTF gzip'd, and — when the VM cache holds them — real Debian kernels: the BTF from
//! each linux-image .deb must equal the one from its vmlinuz.

mod scratch;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use btf::BtfBuilder;
use scratch::{scratch, Scratch};

fn rawbpf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rawbpf")).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmp(name: &str) -> Scratch {
    scratch(&format!("extract-{name}"))
}

fn sample_btf() -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, true);
    b.struct_("pair", 8, &[("a", int, 0), ("b", int, 32)]);
    b.build()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A bzImage (boot protocol 2.15, 3 setup sectors) whose payload is `data` gzip'd.
fn bzimage(data: &[u8]) -> Vec<u8> {
    let payload = gzip(data);
    let mut img = vec![0u8; 4 * 512];
    img[0x1f1] = 3;
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    img[0x248..0x24c].copy_from_slice(&0u32.to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    img.extend_from_slice(&payload);
    img
}

/// A .deb whose data.tar.gz holds `./boot/vmlinuz-9.9.9-test` = `kernel`.
fn deb(kernel: &[u8]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(kernel.len() as u64);
    h.set_mode(0o644);
    tar.append_data(&mut h, "./boot/vmlinuz-9.9.9-test", kernel).unwrap();
    let data = gzip(&tar.into_inner().unwrap());
    let mut ar = ar::Builder::new(Vec::new());
    for (n, d) in [("debian-binary", &b"2.0\n"[..]), ("control.tar.gz", &gzip(b"")[..]), ("data.tar.gz", &data[..])] {
        ar.append(&ar::Header::new(n.as_bytes().to_vec(), d.len() as u64), d).unwrap();
    }
    ar.into_inner().unwrap()
}

fn extract_ok(input: &Path, out: &Path, json: bool) -> String {
    let mut args = vec!["btf", "extract", input.to_str().unwrap(), "-o", out.to_str().unwrap()];
    if json {
        args.push("--json");
    }
    let o = rawbpf(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    text(&o.stdout)
}

#[test]
fn bzimage_gives_the_btf_and_names_its_layers() {
    let (img, out) = (tmp("bzimage"), tmp("bzimage.btf"));
    std::fs::write(&img, bzimage(&sample_btf())).unwrap();
    let report = extract_ok(&img, &out, false);
    assert_eq!(std::fs::read(&out).unwrap(), sample_btf());
    let lines: Vec<&str> = report.lines().collect();
    assert!(lines[1].starts_with("  bzImage  payload at byte 0x800 ("), "{report}");
    assert!(lines[2].starts_with("  gzip     "), "{report}");
    assert!(lines[3].starts_with("  BTF      "), "{report}");
    assert!(lines[4].starts_with(&format!("wrote {} bytes of BTF (2 types) to ", sample_btf().len())), "{report}");
}

#[test]
fn deb_gives_the_btf_and_json_lists_the_layers() {
    let (pkg, out) = (tmp("pkg.deb"), tmp("pkg.btf"));
    std::fs::write(&pkg, deb(&bzimage(&sample_btf()))).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&extract_ok(&pkg, &out, true)).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), sample_btf());
    let layers: Vec<&str> = doc["layers"].as_array().unwrap().iter().map(|l| l["layer"].as_str().unwrap()).collect();
    assert_eq!(layers, ["deb", "bzImage", "gzip", "BTF"]);
    assert_eq!(doc["layers"][0]["detail"], "data.tar.gz:boot/vmlinuz-9.9.9-test");
    assert_eq!(doc["types"], 2);
    // Every btf command reads it through --btf.
    let o = rawbpf(&["btf", "dump", "pair", "--btf", pkg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("struct pair {"), "{}", text(&o.stdout));
}

#[test]
fn unknown_and_truncated_files_fail_with_the_layer_named() {
    let bad = tmp("bad");
    std::fs::write(&bad, b"#!/bin/sh\necho not a kernel\n").unwrap();
    let o = rawbpf(&["btf", "extract", bad.to_str().unwrap(), "-o", tmp("bad.btf").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("input: holds no format this reads"), "{err}");
    assert!(err.contains("expected raw BTF, a vmlinux ELF, a vmlinuz"), "{err}");
    let img = bzimage(&sample_btf());
    std::fs::write(&bad, &img[..img.len() - 10]).unwrap();
    let o = rawbpf(&["btf", "extract", bad.to_str().unwrap(), "-o", tmp("bad.btf").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("bzImage: truncated:"), "{err}");
    assert!(!tmp("bad.btf").exists(), "nothing is written on failure");
}

#[test]
fn host_btf_gzipped_comes_back_byte_identical() {
    let Ok(vmlinux) = std::fs::read(btf::source::VMLINUX_BTF) else {
        return println!("SKIP: host_btf_gzipped_comes_back_byte_identical: no {}", btf::source::VMLINUX_BTF);
    };
    let (gz, out) = (tmp("vmlinux.gz"), tmp("vmlinux.btf"));
    std::fs::write(&gz, gzip(&vmlinux)).unwrap();
    let report = extract_ok(&gz, &out, false);
    assert!(std::fs::read(&out).unwrap() == vmlinux, "extracted BTF differs from {}", btf::source::VMLINUX_BTF);
    assert!(report.contains(&format!("wrote {} bytes of BTF", vmlinux.len())), "{report}");
}

/// The VM harness's kernel cache (tests/vm/lib/kernels.sh): each kernel's vmlinuz and, when it downloaded
/// it there, its package.deb.
fn cached_kernels() -> Vec<PathBuf> {
    let cache = std::env::var_os("RAWBPF_VM_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/rawbpf-vm")));
    let Some(Ok(dirs)) = cache.map(|c| std::fs::read_dir(c.join("kernels"))) else { return Vec::new() };
    let mut v: Vec<PathBuf> = dirs.flatten().map(|e| e.path()).filter(|p| p.join("package.deb").is_file()).collect();
    v.sort();
    v
}

#[test]
fn cached_debian_packages_give_the_btf_of_their_vmlinuz() {
    let kernels = cached_kernels();
    if kernels.is_empty() {
        return println!("SKIP: cached_debian_packages_give_the_btf_of_their_vmlinuz: no package.deb in the VM cache (run tests/vm/run once)");
    }
    for k in kernels {
        let (from_deb, from_vmlinuz) = (tmp("deb.btf"), tmp("vmlinuz.btf"));
        let doc: serde_json::Value =
            serde_json::from_str(&extract_ok(&k.join("package.deb"), &from_deb, true)).unwrap();
        extract_ok(&k.join("vmlinuz"), &from_vmlinuz, false);
        let (a, b) = (std::fs::read(&from_deb).unwrap(), std::fs::read(&from_vmlinuz).unwrap());
        assert!(
            a == b && a.len() > 1 << 20,
            "{}: the .deb's BTF ({} bytes) differs from its vmlinuz's ({} bytes)",
            k.display(),
            a.len(),
            b.len()
        );
        let layers: Vec<&str> =
            doc["layers"].as_array().unwrap().iter().map(|l| l["layer"].as_str().unwrap()).collect();
        assert_eq!(layers[..2], ["deb", "bzImage"], "{}", k.display());
        assert_eq!(layers[3..], ["ELF", "BTF"], "{}", k.display());
        println!("{}: {} -> {} bytes of BTF, {} types", k.display(), layers.join(" > "), a.len(), doc["types"]);
    }
}
