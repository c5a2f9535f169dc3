//! `rawbpf gen skeleton OBJ`: write a Rust module with typed handles for an object.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use loader::object::Object;

use crate::gen::skeleton::{self, Names};

const LONG_ABOUT: &str = "\
Generate code from a BPF object.

  rawbpf gen skeleton OBJ [-o FILE]

writes a Rust module (what bpf2go and libbpf-cargo generate) that embeds OBJ with include_bytes!
and gives typed handles for it, built on the `loader` crate:
  - open() and load(): the embedded object parsed, then its maps and programs created;
  - progs(): one field per program (Option<&LoadedProgram>, None when not loaded);
  - maps(): one field per map; BTF-defined maps with BTF key and value types are
    TypedMap<K, V> with lookup/update/delete/keys on Rust values;
  - one struct per global-data section (.data, .bss, .rodata, .data.*) with one field per
    variable at its offset, read with data()/bss()/rodata() and written with set_data()/
    set_bss() (not .rodata: it is frozen);
  - the Rust types for the object's structs, with explicit padding, read and written as the
    kernel's bytes without unsafe code (unions and bitfield structs stay byte arrays).

With -o FILE, the include_bytes! path is OBJ relative to FILE's directory, so the module builds
where it is written; without it the path is OBJ as given.

Example:
  rawbpf gen skeleton progs/maps_globals.o -o examples/skel/maps_globals.rs";

/// `rawbpf gen ...`
#[derive(Args, Debug)]
#[command(about = "Generate code from a BPF object (a Rust skeleton)", long_about = LONG_ABOUT)]
pub struct GenArgs {
    #[command(subcommand)]
    what: GenCommand,
}

#[derive(Subcommand, Debug)]
enum GenCommand {
    /// A Rust module with typed handles for the object's programs, maps and globals.
    Skeleton {
        /// The clang-built BPF object.
        object: PathBuf,
        /// Write the module here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Runs `rawbpf gen`.
pub fn run(args: GenArgs) -> ExitCode {
    let GenCommand::Skeleton { object, output } = args.what;
    match skeleton_file(&object, output.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("rawbpf gen skeleton: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn skeleton_file(object: &Path, output: Option<&Path>) -> Result<(), String> {
    let obj = Object::open(object).map_err(|e| format!("{}: {}", object.display(), crate::render::error::chain(&e)))?;
    let include = match output {
        Some(out) => relative(object, out.parent().unwrap_or(Path::new("."))),
        None => object.display().to_string(),
    };
    let command = match output {
        Some(out) => format!("rawbpf gen skeleton {} -o {}", object.display(), out.display()),
        None => format!("rawbpf gen skeleton {}", object.display()),
    };
    let names = Names { object_name: &obj.name, include_path: &include, command: &command };
    let text = skeleton::generate(&obj, &names)
        .map_err(|e| format!("{}: BTF: {}", object.display(), crate::render::error::chain(&e)))?;
    match output {
        Some(out) => std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// `target` as seen from directory `from` (both taken relative to the current directory).
fn relative(target: &Path, from: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let (t, f) = (abs(target), abs(from));
    let common = t.components().zip(f.components()).take_while(|(a, b)| a == b).count();
    let ups = f.components().count() - common;
    let rest: PathBuf = t.components().skip(common).collect();
    let mut s = "../".repeat(ups);
    s.push_str(&rest.display().to_string());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_are_relative_to_the_output() {
        assert_eq!(relative(Path::new("progs/x.o"), Path::new("examples/skel")), "../../progs/x.o");
        assert_eq!(relative(Path::new("x.o"), Path::new(".")), "x.o");
    }
}
