# Shared helpers for tests/vm: logging, failing, installing host packages.
# Sourced by tests/vm/run; everything prints progress to stderr so stdout stays the report.

log() { printf '%s\n' "vm: $*" >&2; }
die() { printf '%s\n' "vm: error: $*" >&2; exit 2; }

# Seconds since the epoch with millisecond precision, for timings.
now() { date +%s.%N | cut -c1-14; }
# elapsed START [END]: seconds between two `now` stamps, one decimal.
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.1f", b - a }'; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
# apt-get update at most once per run: CI machines start with empty package lists.
apt_update_once() {
    [ "$APT_UPDATED" = 1 ] && return 0
    log "apt-get update (once)…"
    as_root apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
}

# need_packages PKG...: installs the Debian packages that are not installed yet.
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} = 0 ] && return 0
    log "installing ${missing[*]}…"
    apt_update_once
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
        || die "could not install ${missing[*]}"
}

# The host tools the harness uses. bpftool is copied into the guest for the `cleanup` scenario.
need_host_tools() {
    need_packages qemu-system-x86 busybox-static cpio gzip file bpftool
}
