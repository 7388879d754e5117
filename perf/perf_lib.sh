# Sourced by the scale scripts (phase_control.sh, scale_time.sh): perf_prologue NAME [BUILD_DIR]
# sets root, build (default build/dev), bench, sizes (TE_SIZES, default "8 16") and work (a
# scratch folder removed at exit), and lets Open MPI run as root.
perf_prologue() {
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    build=${2:-$root/build/dev}
    bench=$build/src/bench/te_bench
    [ -x "$bench" ] || { echo "$1: $bench not built" >&2; exit 1; }
    sizes=${TE_SIZES:-8 16}
    work=$(mktemp -d "/tmp/te_${1%.sh}.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
}
