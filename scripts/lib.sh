# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the vtd-dmar scripts. Source it, do not run it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VTD_BUILD:-$ROOT/build}
LOGDIR=$BUILD/logs
mkdir -p "$LOGDIR"

# ccache: a clone in another folder (CI) hits the objects this one made.
# Paths under the tree are hashed relative to it, the build directory not
# at all (debug info then names the tree that first built an object).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}

# The base we build on. Its .orig.tar.xz sha256 is checked below.
QEMU_DEB_VERSION='1:10.0.13+ds-0+deb13u1'
QEMU_ORIG_SHA256_FILE=$ROOT/scripts/qemu-orig.sha256
# The reference model: QEMU 11.1's binary package (scripts/fetch-qemu-ref).
QEMU_REF_VERSION='1:11.1.3+ds-2~bpo13+1'
QEMU_REF_SHA256_FILE=$ROOT/scripts/qemu-ref.sha256

say()  { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[33mWARNING: %s\033[0m\n' "$*" >&2; }
die()  { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# step NAME CMD...: run CMD with its output in $LOGDIR/NAME.log; on failure
# name the step and show the log's tail.
step() {
    local name=$1; shift
    local log=$LOGDIR/$name.log
    say "$name (log: $log)"
    if ! "$@" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "step '$name' failed; full log: $log"
    fi
}

# step_live NAME CMD...: as step, but the output also goes to the terminal
# (for commands whose progress the user wants to see).
step_live() {
    local name=$1; shift
    local log=$LOGDIR/$name.log
    say "$name (log: $log)"
    set -o pipefail
    if ! "$@" 2>&1 | tee "$log"; then
        die "step '$name' failed; full log: $log"
    fi
}

# The Debian mirror this machine is configured with (first deb URI that
# serves the main archive, not the security one).
debian_mirror() {
    local uri
    uri=$(grep -h -E '^(URIs:|deb )' /etc/apt/sources.list \
              /etc/apt/sources.list.d/*.sources \
              /etc/apt/sources.list.d/*.list 2>/dev/null |
          grep -v -e security -e '^#' |
          sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' |
          awk '{print $1}' | grep -m1 -E '^(https?|file|mirror)')
    [ -n "$uri" ] || die "no Debian mirror found in the apt configuration"
    echo "$uri"
}
