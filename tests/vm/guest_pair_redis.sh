# guest_pair_redis.sh — sourced by host-side scripts whose te_bench ranks run in two guests
# and meet through a redis server on the host's loopback (the guests reach it at 10.0.2.2).
# Needs HERE, BUILD, SRC and WORK_NAME; exits 77 with the reason where this cannot run. Sets
# PORT (redis), WORK (a folder in the build tree the guests write to, removed on exit with
# redis) and shares (run_in_guest.sh's --share arguments).
[ -x "$BUILD/src/bench/te_bench" ] || { echo "SKIP: te_bench not built"; exit 77; }
grep -q '"verbs"' "$BUILD/src/engine/generated/transport_list.inc" 2>/dev/null || { echo "SKIP: no verbs transport"; exit 77; }
command -v redis-server >/dev/null || { echo "SKIP: no redis-server"; exit 77; }
"$HERE/prepare.sh" --quiet >/dev/null || { echo "SKIP: guest kernel / initramfs could not be prepared"; exit 77; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WORK=$(mktemp -d "$BUILD/$WORK_NAME.XXXXXX")
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no > "$WORK/redis.log" 2>&1 &
REDIS=$!
trap 'kill $REDIS 2>/dev/null; wait $REDIS 2>/dev/null; rm -rf "$WORK"' EXIT
shares=(--share "$SRC")
case $BUILD/ in "$SRC"/*) ;; *) shares+=(--share "$BUILD") ;; esac
