//! The examples embed progs/*.o with include_bytes!: say how to build them when they are missing,
//! instead of a bare "couldn't read" from the compiler.

fn main() {
    for obj in ["connect.o", "maps_globals.o"] {
        let path = format!("{}/../progs/{obj}", env!("CARGO_MANIFEST_DIR"));
        println!("cargo:rerun-if-changed={path}");
        if !std::path::Path::new(&path).exists() {
            panic!("progs/{obj} is not built: run `cargo build --release -p rawbpf && progs-build/build` first");
        }
    }
}
