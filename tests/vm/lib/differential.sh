# The libbpf-tools differential scenario's payload (scenarios/70-libbpf-tools.sh): the BPF objects carved out of
# Debian's libbpf-tools, the static libbpf oracle (oracle/loadone.c) and the static runner
# (rawbpf/examples/differential.rs, the same code as the host test rawbpf/tests/libbpf_tools). Built only when
# that scenario is selected. When something is missing the payload is left out and the scenario SKIPs in the guest.

DIFF_DIR="$REPO/target/vm/differential"
DIFF_BUILT=0

# build_differential: fills $DIFF_DIR with corpus/*.bpf.o, loadone and differential. Never fatal.
build_differential() {
    rm -rf "$DIFF_DIR"
    # need_packages dies on failure: a subshell keeps that to this payload.
    if ! (need_packages libbpf-tools libbpf-dev libelf-dev zlib1g-dev gcc); then
        log "note: libbpf-tools or the oracle's build dependencies are unavailable; libbpf-tools will SKIP"
        return 0
    fi
    local bin="$REPO/target/vm/x86_64-unknown-linux-gnu/release/examples/differential"
    log "building the differential runner and the libbpf oracle (static)…"
    mkdir -p "$DIFF_DIR"
    (cd "$REPO" && RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build --quiet --release --target x86_64-unknown-linux-gnu --target-dir "$REPO/target/vm" \
        -p rawbpf --example differential >&2) || die "cargo build of the differential runner failed"
    # Debug info would triple the initramfs; the guest needs none.
    strip -o "$DIFF_DIR/differential" "$bin" || die "strip $bin failed"
    gcc -O2 -static -o "$DIFF_DIR/loadone" "$VM_DIR/oracle/loadone.c" -lbpf -lelf -lz >&2 \
        || die "could not build the static libbpf oracle"
    "$DIFF_DIR/differential" carve "$DIFF_DIR/corpus" || die "carving libbpf-tools failed"
    DIFF_BUILT=1
}

# add_differential ROOT: copies the payload (if built by this run) and the expectations into the initramfs tree ROOT.
add_differential() {
    [ "$DIFF_BUILT" = 1 ] || return 0
    install -m 755 "$DIFF_DIR/differential" "$DIFF_DIR/loadone" "$1/bin/"
    mkdir -p "$1/differential/corpus" "$1/differential/expected"
    cp "$DIFF_DIR"/corpus/*.bpf.o "$1/differential/corpus/"
    cp "$REPO"/tests/differential/expected/*.txt "$1/differential/expected/" 2>/dev/null || true
}

# bless_differential: with RAWBPF_DIFF_BLESS=1, writes the expectations file each guest printed (between its
# @@DIFFERENTIAL-EXPECTED markers) to tests/differential/expected/<kernel>.txt. Review the diff before committing.
bless_differential() {
    [ "${RAWBPF_DIFF_BLESS:-}" = 1 ] || return 0
    local k key out
    for k in "${kernels[@]}"; do
        key=$(sed -n 's/^@@DIFFERENTIAL-EXPECTED BEGIN //p' "$logs/$k.log" | head -n1)
        [ -n "$key" ] || { log "bless: $k printed no expectations (scenario not run?)"; continue; }
        out="$REPO/tests/differential/expected/$key.txt"
        mkdir -p "$(dirname "$out")"
        # Only comment and TAB-separated lines: a kernel message may land between the markers on the console.
        awk '/^@@DIFFERENTIAL-EXPECTED BEGIN / { on = 1; next } /^@@DIFFERENTIAL-EXPECTED END/ { on = 0 }
             on && (/^#/ || /\t/)' \
            "$logs/$k.log" > "$out"
        log "bless: wrote $out ($(grep -vc '^#' "$out") gaps)"
    done
}
