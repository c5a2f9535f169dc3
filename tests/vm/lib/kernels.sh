# The kernels under test and how to fetch them. To add a kernel: add one line to KERNEL_TABLE.
#
# Each line: VERSION | package glob | fallback private apt suites (used when the machine's own apt sources do not
# list the package; never written to the system's sources).
KERNEL_TABLE=(
    "5.10|linux-image-5.10.*-cloud-amd64-unsigned|bullseye bullseye-security"
    "6.1|linux-image-6.1.*-cloud-amd64-unsigned|bookworm bookworm-security"
    "6.12|linux-image-6.12.*-cloud-amd64-unsigned|bookworm-backports bookworm-security"
)

VM_CACHE="${RAWBPF_VM_CACHE:-$HOME/.cache/rawbpf-vm}"

kernel_versions() { local l; for l in "${KERNEL_TABLE[@]}"; do echo "${l%%|*}"; done; }

kernel_field() { # kernel_field VERSION N
    local l
    for l in "${KERNEL_TABLE[@]}"; do
        [ "${l%%|*}" = "$1" ] && { echo "$l" | cut -d'|' -f"$2"; return 0; }
    done
    return 1
}

# Options that point apt at a private state directory for SUITES (Debian main + security).
private_apt_opts() { # private_apt_opts NAME
    local dir="$VM_CACHE/apt/$1"
    echo "-o Dir::Etc::SourceList=$dir/sources.list -o Dir::Etc::SourceParts=- -o Dir::State::Lists=$dir/lists" \
         "-o Dir::Cache=$dir/cache -o APT::Sandbox::User=root"
}

# Creates and updates the private apt list for SUITES once (reused from the cache on reruns).
private_apt_setup() { # private_apt_setup NAME SUITES
    local dir="$VM_CACHE/apt/$1" s
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    if ! ls "$dir"/lists/*Packages* >/dev/null 2>&1; then
        : > "$dir/sources.list"
        for s in $2; do
            case "$s" in
                *-security) echo "deb http://deb.debian.org/debian-security $s main" ;;
                *) echo "deb http://deb.debian.org/debian $s main" ;;
            esac >> "$dir/sources.list"
        done
        log "apt-get update for a private list ($2)…"
        # shellcheck disable=SC2046
        apt-get $(private_apt_opts "$1") update -qq >&2 || die "apt-get update of the private list $1 failed"
    fi
}

# Lists candidate packages matching GLOB, newest first. Extra apt options may follow.
kernel_candidates() { # kernel_candidates GLOB [APT_OPTS...]
    local glob="$1"; shift
    local re="${glob//./\\.}"
    apt-cache "$@" search --names-only "^${re//\*/.*}\$" 2>/dev/null | awk '{print $1}' | sort -rV
}

# Downloads the newest package that answers (some listed versions 404) and extracts vmlinuz into DEST.
download_kernel() { # download_kernel DEST CANDIDATES APT_OPTS
    local dest="$1" cands="$2" opts="$3" pkg tmp
    tmp=$(mktemp -d)
    for pkg in $cands; do
        log "  trying $pkg…"
        # shellcheck disable=SC2086
        if (cd "$tmp" && apt-get $opts download "$pkg" >/dev/null 2>&1); then
            dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x" || die "could not unpack $pkg"
            cp "$tmp"/x/boot/vmlinuz-* "$dest/vmlinuz" || die "$pkg holds no boot/vmlinuz-*"
            # The kernel's configuration, for __kconfig externs (CONFIG_*) in the guest.
            cp "$tmp"/x/boot/config-* "$dest/config" 2>/dev/null || true
            basename "$tmp"/x/boot/vmlinuz-* | sed 's/^vmlinuz-//' > "$dest/release"
            echo "$pkg" > "$dest/package"
            # The package itself, for rawbpf's host test of `btf extract` on a .deb (rawbpf/tests/btf_extract.rs).
            cp "$tmp"/"$pkg"_*.deb "$dest/package.deb" 2>/dev/null || true
            rm -rf "$tmp"
            return 0
        fi
        log "  $pkg did not download (404?), trying an older one"
    done
    rm -rf "$tmp"
    return 1
}

# fetch_kernel_config DEST SUITES: adds boot/config-* of the cached package DEST/package as DEST/config (caches made
# before the config was kept). Never fatal: without it, scenarios that need CONFIG_* values SKIP.
fetch_kernel_config() {
    local dest="$1" pkg tmp name opts
    pkg=$(cat "$dest/package" 2>/dev/null) || return 0
    tmp=$(mktemp -d)
    name=$(echo "$2" | awk '{print $1}')
    log "fetching the configuration of $pkg…"
    for opts in "" "private"; do
        if [ "$opts" = private ]; then private_apt_setup "$name" "$2"; opts=$(private_apt_opts "$name"); fi
        # shellcheck disable=SC2086
        if (cd "$tmp" && apt-get $opts download "$pkg" >/dev/null 2>&1); then
            dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x" && cp "$tmp"/x/boot/config-* "$dest/config" 2>/dev/null
            break
        fi
    done
    [ -s "$dest/config" ] || log "  note: no configuration for $pkg; CONFIG_* externs will SKIP in the guest"
    rm -rf "$tmp"
    return 0
}

# Prints the path of VERSION's vmlinuz, fetching it into the cache on first use.
kernel_image() { # kernel_image VERSION
    local v="$1" glob suites dest cands name
    glob=$(kernel_field "$v" 2) || die "unknown kernel '$v' (known: $(kernel_versions | xargs))"
    suites=$(kernel_field "$v" 3)
    dest="$VM_CACHE/kernels/$v"
    if [ -s "$dest/vmlinuz" ] && [ -z "${RAWBPF_VM_REFRESH:-}" ]; then
        [ -s "$dest/config" ] || fetch_kernel_config "$dest" "$suites"
        echo "$dest/vmlinuz"; return 0
    fi
    log "fetching $v kernel…"
    mkdir -p "$dest"
    cands=$(kernel_candidates "$glob")
    if [ -z "$cands" ] && [ "$APT_UPDATED" = 0 ]; then
        apt_update_once; cands=$(kernel_candidates "$glob")
    fi
    if [ -n "$cands" ] && download_kernel "$dest" "$cands" ""; then
        log "  got $(cat "$dest/package")"; echo "$dest/vmlinuz"; return 0
    fi
    name=$(echo "$suites" | awk '{print $1}')
    private_apt_setup "$name" "$suites"
    # shellcheck disable=SC2046
    cands=$(kernel_candidates "$glob" $(private_apt_opts "$name"))
    [ -n "$cands" ] || die "no package matches $glob in the machine's apt sources nor in $suites"
    download_kernel "$dest" "$cands" "$(private_apt_opts "$name")" \
        || die "none of the $v kernel packages downloaded: $(echo "$cands" | xargs)"
    log "  got $(cat "$dest/package")"
    echo "$dest/vmlinuz"
}
