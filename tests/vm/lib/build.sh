# Builds what goes into the guest: a static rawbpf and the BPF objects from progs/.

# Builds rawbpf statically (glibc, crt-static) in its own target dir so normal builds keep their flags.
# Prints the binary's path.
build_rawbpf() {
    local out="$REPO/target/vm"
    log "building static rawbpf (target/vm)…"
    (cd "$REPO" && RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build --quiet --release --target x86_64-unknown-linux-gnu --target-dir "$out" -p rawbpf >&2) \
        || die "cargo build of the static rawbpf failed"
    local bin="$out/x86_64-unknown-linux-gnu/release/rawbpf"
    # `file` says "static-pie linked" or "statically linked"; anything with an interpreter needs a libc.
    ! file -L "$bin" | grep -q 'interpreter' \
        || die "$bin is not statically linked; the guest has no libc"
    echo "$bin"
}

# The loader that becomes /bin/rawbpf in the guest: the static rawbpf, or with RAWBPF_VM_LOADER=oracle the libbpf
# reference loader from tests/vm/oracle (to check the harness and scenarios independently of rawbpf).
# RAWBPF_VM_LOADER may also name a static binary (e.g. another worktree's target/vm/.../rawbpf).
build_loader() {
    case "${RAWBPF_VM_LOADER:-rawbpf}" in
        rawbpf) build_rawbpf; return ;;
        oracle) ;;
        *) [ -x "$RAWBPF_VM_LOADER" ] || die "RAWBPF_VM_LOADER=$RAWBPF_VM_LOADER: not rawbpf, oracle or an executable"
           log "guest loader: $RAWBPF_VM_LOADER"; echo "$RAWBPF_VM_LOADER"; return ;;
    esac
    need_packages libbpf-dev libelf-dev zlib1g-dev gcc
    local bin="$REPO/target/vm/refload"
    mkdir -p "$REPO/target/vm"
    log "building the libbpf oracle loader (RAWBPF_VM_LOADER=oracle)…"
    gcc -O2 -static -o "$bin" "$VM_DIR/oracle/refload.c" -lbpf -lelf -lz >&2 || die "could not build $bin"
    echo "$bin"
}

# Where the BPF objects come from: RAWBPF_VM_PROGS (a directory) or the repo's progs/.
progs_dir() { echo "${RAWBPF_VM_PROGS:-$REPO/progs}"; }

# Runs progs-build/build when it exists: it rebuilds only the objects older than their source, headers or
# vmlinux.h, so calling it every time is cheap. A failed build is fatal: the scenarios need the objects.
build_progs() {
    [ -n "${RAWBPF_VM_PROGS:-}" ] && { log "BPF objects from RAWBPF_VM_PROGS=$RAWBPF_VM_PROGS"; return; }
    if [ -f "$REPO/progs-build/build" ]; then
        need_packages clang-19 llvm-19
        log "building BPF objects (progs-build/build)…"
        (cd "$REPO" && bash progs-build/build >&2) || die "progs-build/build failed: the scenarios need its objects"
    fi
    compgen -G "$REPO/progs/*.o" >/dev/null || log "note: no progs/*.o (no progs-build/build yet?); scenarios needing them will SKIP"
}

# The uprobe scenarios' target (tests/vm/guest/uprobe_target.c), static like everything in the guest.
# Prints its path, or nothing when gcc cannot link statically (the uprobe scenario then SKIPs).
build_uprobe_target() {
    local bin="$REPO/target/vm/rawbpf_uprobe_target"
    mkdir -p "$REPO/target/vm"
    if gcc -O2 -static -o "$bin" "$VM_DIR/guest/uprobe_target.c" >&2; then echo "$bin"; else log "note: could not build $bin"; fi
}

# The USDT scenario's targets (tests/vm/guest/usdt_target.c + usdt_semaphore.c, probes from systemtap's
# <sys/sdt.h>), static: target/vm/rawbpf_usdt_target (ET_EXEC) and target/vm/rawbpf_usdt_target_pie
# (-static-pie, ET_DYN). A target that cannot be built is missing (the usdt scenario then SKIPs).
build_usdt_targets() {
    local out="$REPO/target/vm" src=("$VM_DIR/guest/usdt_target.c" "$VM_DIR/guest/usdt_semaphore.c")
    mkdir -p "$out"
    rm -f "$out/rawbpf_usdt_target" "$out/rawbpf_usdt_target_pie"
    (need_packages systemtap-sdt-dev) || { log "note: no systemtap-sdt-dev (<sys/sdt.h>): no USDT targets"; return 0; }
    gcc -O2 -static -o "$out/rawbpf_usdt_target" "${src[@]}" >&2 || log "note: could not build rawbpf_usdt_target"
    gcc -O2 -static-pie -o "$out/rawbpf_usdt_target_pie" "${src[@]}" >&2 || log "note: could not build rawbpf_usdt_target_pie"
}
