# Builds the guest's initramfs: busybox, /init, rawbpf, progs/*.o, the scenarios, bpftool (with its libraries) and
# the libbpf-tools differential payload (lib/differential.sh).

# Copies a dynamically linked host binary and the libraries `ldd` lists, at the same paths, into ROOT.
copy_with_libs() { # copy_with_libs ROOT BINARY DEST_IN_ROOT
    local root="$1" bin="$2" dest="$3" lib
    mkdir -p "$root$(dirname "$dest")"
    cp -L "$bin" "$root$dest"
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}

# add_kernel_configs ROOT: each booted kernel's configuration as ROOT/boot/config-RELEASE, where libbpf and rawbpf
# read CONFIG_* values for __kconfig externs (uses run's kernels and image arrays).
add_kernel_configs() {
    local k dir
    mkdir -p "$1/boot"
    for k in "${kernels[@]}"; do
        dir=$(dirname "${image[$k]}")
        [ -s "$dir/config" ] && [ -s "$dir/release" ] && cp "$dir/config" "$1/boot/config-$(cat "$dir/release")"
    done
    return 0
}

# add_kernel_images ROOT: each booted kernel's own vmlinuz as ROOT/boot/vmlinuz-RELEASE, for the btf-extract and no-btf scenarios
# (rawbpf extracts its BTF in the guest and compares it with /sys/kernel/btf/vmlinux). ~12 MB each, already
# compressed: added only when that scenario runs (uses run's kernels, image and scenarios arrays).
add_kernel_images() {
    local k dir
    printf '%s\n' "${scenarios[@]}" | grep -qxE 'btf-extract|no-btf' || return 0
    mkdir -p "$1/boot"
    for k in "${kernels[@]}"; do
        dir=$(dirname "${image[$k]}")
        [ -s "$dir/release" ] && cp "${image[$k]}" "$1/boot/vmlinuz-$(cat "$dir/release")"
    done
    return 0
}

# build_initramfs OUT RAWBPF: writes a gzip'd newc cpio to OUT.
build_initramfs() {
    local out="$1" rawbpf="$2" root applet busybox
    root=$(mktemp -d)
    log "building initramfs…"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,progs,scenarios,lib/rawbpf}
    busybox=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
    file -L "$busybox" | grep -q 'statically linked' || busybox=/bin/busybox
    cp -L "$busybox" "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list-full); do
        [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
    done
    # The kernel opens /dev/console for init before devtmpfs is mounted; /init re-opens it too.
    mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
    install -m 755 "$VM_DIR/guest/init" "$root/init"
    install -m 644 "$VM_DIR/guest/lib.sh" "$root/lib/rawbpf/lib.sh"
    install -m 644 "$VM_DIR/guest/demo.sh" "$root/lib/rawbpf/demo.sh"
    install -m 644 "$VM_DIR"/scenarios/*.sh "$root/scenarios/"
    install -m 755 "$rawbpf" "$root/bin/rawbpf"
    cp "$(progs_dir)"/*.o "$root/progs/" 2>/dev/null || true
    local target
    target=$(build_uprobe_target)
    [ -n "$target" ] && install -m 755 "$target" "$root/bin/rawbpf_uprobe_target"
    build_usdt_targets
    for target in rawbpf_usdt_target rawbpf_usdt_target_pie; do
        [ -x "$REPO/target/vm/$target" ] && install -m 755 "$REPO/target/vm/$target" "$root/bin/$target"
    done
    add_kernel_configs "$root"
    add_kernel_images "$root"
    copy_with_libs "$root" "$(command -v bpftool)" /usr/sbin/bpftool
    add_differential "$root"
    (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1) > "$out" \
        || die "could not write $out"
    rm -rf "$root"
    log "  initramfs $(du -h "$out" | cut -f1)"
}
