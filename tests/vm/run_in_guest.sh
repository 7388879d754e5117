#!/bin/bash
# run_in_guest.sh — run a command inside 1 or 2 QEMU guests that have a Soft-RoCE device.
#
# Usage: tests/vm/run_in_guest.sh [--guests 1|2] [--smp N] [--mem MB] [--timeout SECONDS]
#                                 [--nic2] [--share DIR]... -- CMD [ARG]...
#
# Every guest runs CMD (as root, chrooted into the host's / exported read-only over 9p,
# cwd = the caller's cwd) once rxe0 is PORT_ACTIVE in every guest. Guest i gets:
#   TE_VM=1 TE_VM_INDEX=i TE_VM_COUNT=n TE_VM_DATA_IP=10.0.3.(i+1) TE_VM_DATA_IF=ethX
#   TE_VM_HOST_IP=10.0.2.2 (the host's loopback, via the user-mode NIC)
#   TE_VM_PEER_IPS="10.0.3.1 10.0.3.2"  OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM)=1
# --nic2 (with --guests 2): vm0 gets a second data NIC (rxe1 on it, 10.0.4.1/24), vm1 gets
# 10.0.4.2/24 next to 10.0.3.2/24 on its one data NIC (its rxe0 then has both IPv4 GIDs), and
# the three data NICs share one L2 through udp_hub.py on the host (a learning switch) instead
# of a socket pair. vm0 then also gets TE_VM_DATA2_IF=ethY TE_VM_DATA2_IP=10.0.4.1, vm1
# TE_VM_DATA_ALT_IP=10.0.4.2; both are empty otherwise. vm0 answers ARP only on the NIC
# that holds the address (arp_ignore=1, arp_announce=2), so each rxe gets its own frames.
# Host names are vm0, vm1 (also in the guest's /etc/hosts). /tmp /run /dev/shm /var/tmp
# are private tmpfs in the guest; use --share DIR (writable, same path in the guest) for a
# build tree or anything the command must write back (CI clones under /tmp need it).
#
# Output: CMD's stdout+stderr are streamed to this script's stdout, prefixed "[vmN] " when
# there are 2 guests.
# Exit status: the first non-zero command exit status in guest order (vm0 first, then vm1),
# else 0 — i.e. vm0's status unless vm0 succeeded and vm1 failed.
#   124  timeout (guests killed)     77  cannot run guests here (no qemu / prepare failed)
#   125  harness or guest failure (boot, 9p, rxe setup, guest crash) — console log kept
#   130/143/129  interrupted (SIGINT/SIGTERM/SIGHUP)
# When one guest's command fails, the other guests get 10 s (TE_VM_PEER_GRACE) to finish,
# then are stopped (they are typically waiting for the failed peer).
# Environment: TE_VM_CACHE (cache dir, see prepare.sh), TE_VM_ACCEL=tcg|kvm (default tcg:
# /dev/kvm here is kvm_pvm and hangs a stock kernel), TE_VM_KEEP_LOG=1 (keep the run dir
# with console logs and print its path), TE_VM_VERBOSE=1 (harness progress on stderr),
# TE_VM_PEER_GRACE (seconds, default 10),
# TE_VM_QEMU_ARGS (extra QEMU arguments, word-split; for debugging).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${TE_VM_CACHE:-/var/tmp/te_bench_vm}
ME=run_in_guest

GUESTS=1
SMP=""
MEM=1024
TIMEOUT=300
SHARES=()
NIC2=0

usage() { sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; }
log() { [[ ${TE_VM_VERBOSE:-0} == 1 ]] && echo "$ME: $*" >&2 || true; }
skip() { echo "$ME: SKIP: $*" >&2; exit 77; }
fail() { echo "$ME: $*" >&2; exit 125; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- arguments -------------------------------------------------------------------------
while [[ $# -gt 0 ]]; do
  case $1 in
    --guests) GUESTS=${2:?}; shift 2 ;;
    --smp) SMP=${2:?}; shift 2 ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --share) SHARES+=("${2:?}"); shift 2 ;;
    --nic2) NIC2=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) echo "$ME: unknown option '$1' (command goes after --)" >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "$ME: no command given (… -- CMD ARGS)" >&2; exit 2; }
[[ $GUESTS == 1 || $GUESTS == 2 ]] || { echo "$ME: --guests must be 1 or 2" >&2; exit 2; }
[[ $NIC2 == 0 || $GUESTS == 2 ]] || { echo "$ME: --nic2 needs --guests 2" >&2; exit 2; }
[[ $TIMEOUT =~ ^[0-9]+$ && $MEM =~ ^[0-9]+$ ]] || { echo "$ME: bad --timeout/--mem" >&2; exit 2; }
# Default vCPUs: the whole (2-core) machine for one guest, one each for two guests.
[[ -n $SMP ]] || SMP=$(( GUESTS == 1 ? 2 : 1 ))
[[ $SMP =~ ^[0-9]+$ ]] || { echo "$ME: bad --smp" >&2; exit 2; }

# ---- can this machine run guests? ------------------------------------------------------
QEMU=$(command -v qemu-system-x86_64 || true)
[[ -n $QEMU ]] || skip "qemu-system-x86_64 not installed"
if ! perr=$("$HERE/prepare.sh" --quiet 2>&1); then
  skip "prepare.sh failed: ${perr##*$'\n'}"
fi
KERNEL="" VMLINUX="" INITRD=""
# shellcheck source=/dev/null
. "$CACHE/current.env"

BOOT_KERNEL=$KERNEL
# shellcheck disable=SC2054  # the commas belong to QEMU options
case ${TE_VM_ACCEL:-tcg} in
  tcg) ACCEL=(-accel tcg,thread=multi -cpu max)
       # The uncompressed vmlinux (PVH entry) boots ~4 s faster under TCG.
       [[ -n $VMLINUX && -f $VMLINUX ]] && BOOT_KERNEL=$VMLINUX ;;
  kvm) [[ -w /dev/kvm ]] || skip "TE_VM_ACCEL=kvm but /dev/kvm is not usable"
       ACCEL=(-accel kvm -cpu "${TE_VM_CPU:-max}") ;;
  *) echo "$ME: TE_VM_ACCEL must be tcg or kvm" >&2; exit 2 ;;
esac

# ---- run dir (a writable 9p export: job script in, output + exit codes out) ------------
mkdir -p "$CACHE/runs"
# Drop run dirs left by earlier (kept or killed) runs after a day.
find "$CACHE/runs" -mindepth 1 -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
RUN=$(mktemp -d "$CACHE/runs/run.XXXXXX")
QEMU_PIDS=()
STREAM_PIDS=()
HUB_PID=""

cleanup() {
  local rc=$? pid i
  trap - EXIT INT TERM HUP
  # Guests still running here means timeout, Ctrl-C or an error: stop them. QEMU exits
  # cleanly on SIGTERM; SIGKILL after 3 s in case it is wedged.
  for pid in "${QEMU_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 30); do
    local alive=0
    for pid in "${QEMU_PIDS[@]}"; do proc_alive "$pid" && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${QEMU_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${QEMU_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Output streamers end by themselves once QEMU is gone (tail --pid); don't wait forever.
  for pid in "${STREAM_PIDS[@]}"; do
    for i in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # The hub (--nic2) only after the guests, so that no frame of theirs meets a closed port.
  if [[ -n $HUB_PID ]]; then
    kill -TERM "$HUB_PID" 2>/dev/null || true
    wait "$HUB_PID" 2>/dev/null || true
    [[ ${TE_VM_VERBOSE:-0} == 1 ]] && sed "s/^/$ME: /" "$RUN/hub.log" >&2
  fi
  [[ -n ${WATCHDOG_PID:-} ]] && { kill "$WATCHDOG_PID" 2>/dev/null || true; wait "$WATCHDOG_PID" 2>/dev/null || true; }
  # Keep the run dir when asked, or after a harness/guest failure (125) to debug it.
  if [[ ${TE_VM_KEEP_LOG:-0} == 1 || $rc == 125 ]]; then
    echo "$ME: run dir kept: $RUN (console.N.log = guest consoles, out.N = job output)" >&2
  else
    rm -rf "$RUN"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "$ME: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# True while PID exists and is not a zombie (an exited, unreaped child still answers kill -0).
proc_alive() {
  local st
  st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $st != Z ]]
}

# Last progress marker of each guest (which stage it reached), for timeout messages.
show_progress() {
  local i m
  for ((i = 0; i < GUESTS; i++)); do
    m=$(tr -d '\r' <"$RUN/console.$i.log" 2>/dev/null | grep -a '^te_vm\[' | tail -n1 || true)
    echo "$ME: vm$i last marker: ${m:-none (still booting)}"
  done
}

# A free UDP port on loopback (random start; checked against ss when available).
free_udp_port() {
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! command -v ss >/dev/null || ! ss -Huln "sport = :$p" | grep -q .; then
      echo "$p"; return 0
    fi
  done
  return 1
}

# Job script: bash, run chrooted in each guest; quotes CMD exactly with printf %q.
CWD=$(pwd -P)
{
  echo '#!/bin/bash'
  printf 'cwd=%q\n' "$CWD"
  echo 'if ! cd -- "$cwd" 2>/dev/null; then'
  echo "  echo \"$ME: warning: cwd \$cwd does not exist in the guest (not under --share?); running in /\" >&2"
  echo '  cd /'
  echo 'fi'
  printf 'exec'
  printf ' %q' "$@"
  echo
} >"$RUN/job.sh"

{
  echo "127.0.0.1 localhost"
  echo "10.0.3.1 vm0"
  echo "10.0.3.2 vm1"
} >"$RUN/hosts"

# Shares: validate, sort so that a parent is mounted before a child, give each a tag.
: >"$RUN/shares"
SHARE_ARGS=()
RESOLVED=()
for s in ${SHARES[@]+"${SHARES[@]}"}; do
  [[ -d $s ]] || { echo "$ME: --share $s: not a directory" >&2; exit 2; }
  d=$(cd "$s" && pwd -P)
  [[ $d != *[$'\t\n',]* ]] || { echo "$ME: --share $s: tab, newline or comma in path" >&2; exit 2; }
  [[ $d != / ]] || { echo "$ME: --share /: not allowed" >&2; exit 2; }
  RESOLVED+=("$d")
done
n=0
while IFS= read -r dir; do
  [[ -n $dir ]] || continue
  SHARE_ARGS+=(-fsdev "local,id=share$n,path=$dir,security_model=none,multidevs=remap"
               -device "virtio-9p-pci,fsdev=share$n,mount_tag=teshare$n")
  printf 'teshare%d\t%s\n' "$n" "$dir" >>"$RUN/shares"
  n=$((n + 1))
done < <(printf '%s\n' ${RESOLVED[@]+"${RESOLVED[@]}"} | sort -u)

# The guest's /tmp /run /dev/shm /var/tmp are empty tmpfs: a cwd there is only useful when
# a --share covers it. Say so up front (the job also warns if the cd fails).
case $CWD in
  /tmp|/tmp/*|/run|/run/*|/dev/shm|/dev/shm/*|/var/tmp|/var/tmp/*)
    covered=0
    for d in ${RESOLVED[@]+"${RESOLVED[@]}"}; do
      [[ $CWD == "$d" || $CWD == "$d"/* ]] && covered=1
    done
    [[ $covered == 1 ]] || echo "$ME: warning: cwd $CWD is on a guest tmpfs and not under --share" >&2 ;;
esac

# Data network: 2 guests share an L2 through a pair of UDP sockets on loopback (fast, no
# multicast, nothing leaves the host). 1 guest: an isolated user-mode net (rxe loops back
# inside the guest anyway). MACs identify the NICs inside the guest. --nic2: three NICs
# (vm0's two, vm1's one) on one L2 through udp_hub.py, see the header.
DATA_NET=()
DATA2_NET=""
if [[ $NIC2 == 1 ]]; then
  # NIC k: vm0's first, vm1's, vm0's second. The hub binds its own ports and names them in
  # hub.ports; it exits by itself within 1 s of this script being gone.
  NP=()
  for _ in 0 1 2; do
    p=$(free_udp_port) || fail "no free UDP port"
    while [[ " ${NP[*]-} " == *" $p "* ]]; do p=$(free_udp_port) || fail "no free UDP port"; done
    NP+=("$p")
  done
  setsid python3 "$HERE/udp_hub.py" --ports-file "$RUN/hub.ports" --parent $$ "${NP[@]}" \
    </dev/null >"$RUN/hub.log" 2>&1 &
  HUB_PID=$!
  for _ in $(seq 100); do
    [[ -s $RUN/hub.ports ]] && break
    proc_alive "$HUB_PID" || fail "udp_hub.py failed: $(tail -n1 "$RUN/hub.log")"
    sleep 0.1
  done
  read -r H0 H1 H2 <"$RUN/hub.ports" 2>/dev/null || fail "udp_hub.py named no ports in 10 s"
  log "hub pid $HUB_PID: NIC ports ${NP[*]}, hub ports $H0 $H1 $H2"
  DATA_NET[0]="socket,id=data,udp=127.0.0.1:$H0,localaddr=127.0.0.1:${NP[0]}"
  DATA_NET[1]="socket,id=data,udp=127.0.0.1:$H1,localaddr=127.0.0.1:${NP[1]}"
  DATA2_NET="socket,id=data2,udp=127.0.0.1:$H2,localaddr=127.0.0.1:${NP[2]}"
elif [[ $GUESTS == 2 ]]; then
  P0=$(free_udp_port) && P1=$(free_udp_port) || fail "no free UDP port"
  while [[ $P1 == "$P0" ]]; do P1=$(free_udp_port); done
  DATA_NET[0]="socket,id=data,udp=127.0.0.1:$P1,localaddr=127.0.0.1:$P0"
  DATA_NET[1]="socket,id=data,udp=127.0.0.1:$P0,localaddr=127.0.0.1:$P1"
else
  DATA_NET[0]="user,id=data,net=10.0.3.0/24,host=10.0.3.254,dns=10.0.3.253,restrict=on"
fi

# Quiet kernel console unless the log is kept for debugging (serial output is slow in TCG).
KCONSOLE="quiet loglevel=3"
[[ ${TE_VM_KEEP_LOG:-0} == 1 ]] && KCONSOLE="loglevel=6"

START=$(now)
for ((i = 0; i < GUESTS; i++)); do
  cat >"$RUN/guest.$i.env" <<EOF
TE_VM_COUNT=$GUESTS
TE_VM_HOSTNAME=vm$i
TE_VM_DATA_IP=10.0.3.$((i + 1))
TE_VM_DATA_MAC=52:54:00:7e:03:0$i
TE_VM_MGMT_IP=10.0.2.15
TE_VM_MGMT_MAC=52:54:00:7e:02:0$i
TE_VM_HOST_IP=10.0.2.2
TE_VM_PEER_IPS='$(for ((j = 0; j < GUESTS; j++)); do printf '10.0.3.%d ' $((j + 1)); done)'
EOF
  # --nic2: vm0's second data NIC, vm1's second address (see the header).
  NIC2_ARGS=()
  if [[ $NIC2 == 1 && $i == 0 ]]; then
    printf 'TE_VM_DATA2_IP=10.0.4.1\nTE_VM_DATA2_MAC=52:54:00:7e:04:00\n' >>"$RUN/guest.$i.env"
    NIC2_ARGS=(-netdev "$DATA2_NET" -device "virtio-net-pci,netdev=data2,mac=52:54:00:7e:04:00")
  elif [[ $NIC2 == 1 ]]; then
    echo "TE_VM_DATA_ALT_IP=10.0.4.$((i + 1))" >>"$RUN/guest.$i.env"
  fi
  : >"$RUN/out.$i"
  # setsid: QEMU must not see the terminal's Ctrl-C itself (it would exit and look like a
  # guest crash); the INT trap below stops it deliberately instead.
  # Management NIC: plain user-mode netdev (not restrict=on) so that 10.0.2.2 reaches
  # servers bound to the host's 127.0.0.1 (redis bootstrap etc.).
  setsid "$QEMU" -nodefaults -no-user-config -display none -no-reboot \
    "${ACCEL[@]}" -smp "$SMP" -m "$MEM" \
    -kernel "$BOOT_KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 $KCONSOLE panic=-1 te_idx=$i" \
    -chardev "file,id=con,path=$RUN/console.$i.log" -serial chardev:con \
    -fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap" \
    -device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
    -fsdev "local,id=run,path=$RUN,security_model=none,multidevs=remap" \
    -device virtio-9p-pci,fsdev=run,mount_tag=terun \
    ${SHARE_ARGS[@]+"${SHARE_ARGS[@]}"} \
    -netdev "${DATA_NET[$i]}" -device "virtio-net-pci,netdev=data,mac=52:54:00:7e:03:0$i" \
    ${NIC2_ARGS[@]+"${NIC2_ARGS[@]}"} \
    -netdev user,id=mgmt -device "virtio-net-pci,netdev=mgmt,mac=52:54:00:7e:02:0$i" \
    -device virtio-rng-pci \
    ${TE_VM_QEMU_ARGS:-} \
    </dev/null >"$RUN/qemu.$i.log" 2>&1 &
  QEMU_PIDS+=($!)
  log "vm$i: qemu pid $! (${TE_VM_ACCEL:-tcg}, smp $SMP, mem $MEM)"
done

# Watchdog: if this script dies without running its traps (SIGKILL of it or of its whole
# process group, e.g. a test driver's hard timeout), kill the guests anyway. It runs in its
# own session (like QEMU) so a group kill does not take it down, and checks the command
# line before killing so a recycled PID is safe.
setsid bash -c '
  main=$1; shift
  while [ -d /proc/$main ] && ! grep -q "^[^)]*) Z" /proc/$main/stat 2>/dev/null; do sleep 1; done
  for pid in "$@"; do
    grep -qa qemu-system /proc/$pid/cmdline 2>/dev/null && kill -KILL $pid 2>/dev/null
  done
  exit 0' te_vm_watchdog "$$" "${QEMU_PIDS[@]}" </dev/null >/dev/null 2>&1 &
WATCHDOG_PID=$!

# Stream job output while it is produced; tail --pid ends after QEMU is gone.
for ((i = 0; i < GUESTS; i++)); do
  if [[ $GUESTS == 1 ]]; then
    tail -n +1 -s 0.2 --pid="${QEMU_PIDS[$i]}" -f "$RUN/out.$i" &
  else
    tail -n +1 -s 0.2 --pid="${QEMU_PIDS[$i]}" -f "$RUN/out.$i" | sed -u "s/^/[vm$i] /" &
  fi
  STREAM_PIDS+=($!)
done

# ---- wait for the guests (bounded) -----------------------------------------------------
DEADLINE=$(( $(date +%s) + TIMEOUT ))
READY_LOGGED=0
PEER_DEADLINE=""   # set once some guest's command failed
STOPPED_EARLY=0
while :; do
  alive=0
  for pid in "${QEMU_PIDS[@]}"; do proc_alive "$pid" && alive=1; done
  [[ $alive == 0 ]] && break
  if [[ $GUESTS -gt 1 && -z $PEER_DEADLINE ]]; then
    for ((i = 0; i < GUESTS; i++)); do
      if [[ -f $RUN/rc.$i && $(<"$RUN/rc.$i") != 0 ]]; then
        PEER_DEADLINE=$(( $(date +%s) + ${TE_VM_PEER_GRACE:-10} ))
        log "vm$i failed; stopping the other guests in ${TE_VM_PEER_GRACE:-10} s"
      fi
    done
  fi
  if [[ -n $PEER_DEADLINE ]] && (( $(date +%s) >= PEER_DEADLINE )); then
    for pid in "${QEMU_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    STOPPED_EARLY=1
    PEER_DEADLINE=$(( DEADLINE + 1 ))   # do not signal again; the loop ends when they exit
  fi
  if [[ $READY_LOGGED == 0 && -e $RUN/ready.$((GUESTS - 1)) && -e $RUN/ready.0 ]]; then
    log "guests ready after $(elapsed "$START") s"; READY_LOGGED=1
  fi
  if (( $(date +%s) >= DEADLINE )); then
    echo "$ME: timeout after ${TIMEOUT} s; guests killed" >&2
    show_progress >&2
    exit 124   # cleanup (trap) kills QEMU
  fi
  sleep 0.2
done
for pid in "${QEMU_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
log "guests powered off after $(elapsed "$START") s"

# Let the streamers print the tail end before we print a verdict.
for pid in "${STREAM_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
STREAM_PIDS=()

# ---- verdict ---------------------------------------------------------------------------
RC=0
for ((i = 0; i < GUESTS; i++)); do
  if [[ -f $RUN/fail.$i ]]; then
    echo "$ME: vm$i: $(head -n1 "$RUN/fail.$i")" >&2
    tail -n 20 "$RUN/console.$i.log" | tr -d '\r' | sed "s/^/$ME: vm$i console: /" >&2
    exit 125
  fi
  if [[ ! -f $RUN/rc.$i && $STOPPED_EARLY == 1 ]]; then
    echo "$ME: vm$i: stopped after a peer's command failed" >&2
    continue
  fi
  if [[ ! -f $RUN/rc.$i ]]; then
    echo "$ME: vm$i: guest ended without an exit code (crash? see console log)" >&2
    [[ -s $RUN/console.$i.log ]] || echo "$ME: vm$i: no console output at all: early boot failure (too little --mem?)" >&2
    tail -n 20 "$RUN/console.$i.log" | tr -d '\r' | sed "s/^/$ME: vm$i console: /" >&2
    cat "$RUN/qemu.$i.log" | sed "s/^/$ME: vm$i qemu: /" >&2
    exit 125
  fi
  r=$(<"$RUN/rc.$i")
  [[ $RC == 0 && $r != 0 ]] && RC=$r
done
exit "$RC"
