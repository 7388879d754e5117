#!/usr/bin/env bash
# perf/gpu_bundle.sh — builds here what perf/gpu_check.sh needs on a lent GPU machine, which
# has nvcc and CMake but none of te_bench's libraries (no MPI, UCX, verbs, redis) and cannot
# fetch any. The bundle holds release binaries built with -DTE_WITH_CUDA=ON, redis-server
# (the bootstrap there, instead of mpirun), every shared library they load, this machine's
# dynamic loader, and `run`, which starts a program with them whatever the host's glibc:
#
#   perf/gpu_bundle.sh                      # -> build/gpu_bundle (~15-25 MiB)
#   build/gpu_bundle/run te_bench --help    # any bundled program
#   perf/gpu_check.sh --bundle build/gpu_bundle   # on the GPU machine (device run: carry it)
#
# libcuda (the driver) is never bundled: the statically linked CUDA runtime loads the host's.
# Checks itself before it ends: every library resolves inside the bundle, and te_bench starts.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build/gpu-bundle-build}
DEST=${DEST:-$PWD/build/gpu_bundle}
command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]] || { echo "gpu_bundle: no nvcc here (CUDA Toolkit)" >&2; exit 1; }
REDIS=$(command -v redis-server) || { echo "gpu_bundle: no redis-server here (scripts/install_deps.sh)" >&2; exit 1; }

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTE_BUILD_TESTS=ON -DTE_WITH_CUDA=ON > "$BUILD.configure.log" 2>&1 \
  || { echo "gpu_bundle: configure failed, see $BUILD.configure.log" >&2; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target te_bench te_unit_tests te_conformance_tests te_cuda_copy_bw \
  > "$BUILD.build.log" 2>&1 || { echo "gpu_bundle: build failed, see $BUILD.build.log" >&2; exit 1; }

rm -rf "$DEST"
mkdir -p "$DEST/bin" "$DEST/lib/ucx"
for prog in src/bench/te_bench tests/unit/te_unit_tests tests/conformance/te_conformance_tests \
            src/engine/cuda/te_cuda_copy_bw; do
  install -m 755 "$BUILD/$prog" "$DEST/bin/"
done
install -m 755 "$REDIS" "$DEST/bin/redis-server"
strip --strip-unneeded "$DEST"/bin/*
# UCX's transport modules (dlopen'ed; `run` points UCX_MODULE_DIR here).
UCX_MODULES=$(ucx_info -c 2>/dev/null | sed -n 's/^UCX_MODULE_DIR=//p')
[[ -d $UCX_MODULES ]] && cp -L "$UCX_MODULES"/*.so.0 "$DEST/lib/ucx/" 2>/dev/null || true

# Every library any of them loads, and the loader itself (from ldd's "=> /path" and the
# interpreter line); libcuda is the host's.
loader=
for f in "$DEST"/bin/* "$DEST"/lib/ucx/*; do
  while read -r lib; do
    case $(basename "$lib") in libcuda.so*|libnvidia-*) continue ;; esac
    [[ -e $DEST/lib/$(basename "$lib") ]] || cp -L "$lib" "$DEST/lib/"
  done < <(ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}')
  [[ -n $loader ]] || loader=$(ldd "$f" | awk '$1 ~ /^\/.*ld-linux/ {print $1; exit}')
done
cp -L "$loader" "$DEST/lib/"
# The rest of this glibc, for what the host's libcuda links (libdl, libpthread, librt): taken
# from the host, they would not match the bundled libc.
libc_dir=$(dirname "$(ldd "$DEST/bin/te_bench" | awk '$1 == "libc.so.6" {print $3}')")
for lib in libdl.so.2 libpthread.so.0 librt.so.1 libm.so.6 libresolv.so.2; do
  [[ -e $DEST/lib/$lib || ! -e $libc_dir/$lib ]] || cp -L "$libc_dir/$lib" "$DEST/lib/"
done
strip --strip-unneeded "$DEST"/lib/*.so* "$DEST"/lib/ucx/*.so* 2>/dev/null || true

cat > "$DEST/run" <<EOF
#!/bin/sh
# run PROGRAM [ARGS...]: a bundled program with the bundle's loader and libraries (see
# perf/gpu_bundle.sh). LD_LIBRARY_PATH is searched after the bundle (the host's libcuda).
B=\$(cd "\$(dirname "\$0")" && pwd)
p=\$1; shift
export UCX_MODULE_DIR="\$B/lib/ucx"
exec "\$B/lib/$(basename "$loader")" --library-path "\$B/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" "\$B/bin/\$p" "\$@"
EOF
chmod 755 "$DEST/run"
cat > "$DEST/MANIFEST" <<EOF
built $(date -u +%FT%TZ) on $(hostname) ($(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -1 | awk '{print $NF}'))
te_bench $(git describe --always --dirty 2>/dev/null || echo unknown), CUDA $(/usr/local/cuda/bin/nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p')
EOF

# Self-check: nothing resolves outside the bundle (the loader's own listing), and it starts.
outside=$("$DEST/lib/$(basename "$loader")" --list --library-path "$DEST/lib" "$DEST/bin/te_bench" \
          | awk '$2 == "=>" && $3 !~ "^'"$DEST"'/" {print $1}' || true)
[[ -z $outside ]] || { echo "gpu_bundle: te_bench would load from outside the bundle: $outside" >&2; exit 1; }
"$DEST/run" te_bench --version > /dev/null || { echo "gpu_bundle: the bundled te_bench does not start" >&2; exit 1; }
echo "gpu_bundle: $DEST, $(du -sh "$DEST" | cut -f1) ($(ls "$DEST/bin" | wc -l) programs, $(ls "$DEST/lib" | wc -l) libraries)"
