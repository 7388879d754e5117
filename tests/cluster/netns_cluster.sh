#!/bin/sh
# shellcheck disable=SC2154  # rc is set inside the trap string
# netns_cluster.sh — K "hosts" on one machine, as Linux network namespaces.
#
#   netns_cluster.sh up                 build head + h0..h(K-1)   (K = $TE_CLUSTER_HOSTS, default 4)
#   netns_cluster.sh down               remove everything (safe to call twice)
#   netns_cluster.sh exec HOST CMD...   run CMD in HOST (head | h0 | h1 ...), with hostname HOST
#   netns_cluster.sh rsh-agent HOST CMD...   what mpirun's plm_rsh_agent calls (see rsh_agent.sh)
#   netns_cluster.sh hostfile [SLOTS]   print an Open MPI hostfile "hN slots=SLOTS" (default 1)
#   netns_cluster.sh status             list the namespaces and addresses
#   netns_cluster.sh addr HOST          print HOST's address (head 10.77.0.1, hN 10.77.0.(10+N))
#
# Layout (all names carry $TE_CLUSTER_PREFIX, default "te-", so two runs with
# different prefixes never meet):
#
#   netns ${P}head : bridge br0 10.77.0.1/24 + one veth port vhN per host  ("login node")
#   netns ${P}hN   : eth0 10.77.0.(10+N)/24, lo up                         (compute node N)
#
# Two levels (TE_CLUSTER_LEAVES=L, L >= 1): br0 is the spine; L leaf bridges lf1..lfL in
# head, each joined to br0 by a veth pair (upJ a port of lfJ, dnJ a port of br0: the leaf's
# uplink, which slow_uplink.sh shapes), hosts spread over the leaves in order (K/L each,
# rounded up), and $STATE/topology.conf says so in Slurm's form (leaf1..leafL, spine1).
#
# Rails (TE_CLUSTER_RAILS=R, default 1): every host gets R-1 more NICs, ethJ with
# 10.77.J.(10+N)/24 on bridge brJ in head (10.77.J.1), one flat network per rail;
# slow_rail.sh shapes one. MPI's own traffic stays on eth0 (10.77.0.0/24).
#
# Why the bridge lives in its own namespace and not in the root namespace:
#   * nothing is added to the machine's own network (no bridge, no 10.77 route, no
#     br_netfilter/iptables on bridged frames): `down` is just "delete the namespaces",
#     and deleting a namespace destroys its veth ends, so nothing can be left behind;
#   * two concurrent clusters (different prefixes) can both use 10.77.0.0/24 without
#     a route or address clash, because each lives behind its own head namespace.
#   The price: the root namespace cannot reach 10.77.0.x. Launchers (mpirun, sbatch,
#   slurmctld) run in the head namespace:  netns_cluster.sh exec head mpirun ...
#
# Environment: TE_CLUSTER_HOSTS (4), TE_CLUSTER_PREFIX (te-), TE_CLUSTER_LEAVES (0: one bridge),
#              TE_CLUSTER_RAILS (1: eth0 only),
#              TE_CLUSTER_STATE (state dir, default /tmp/te_cluster.${PREFIX%-}).
set -eu

P=${TE_CLUSTER_PREFIX:-te-}
K=${TE_CLUSTER_HOSTS:-4}
L=${TE_CLUSTER_LEAVES:-0}
R=${TE_CLUSTER_RAILS:-1}
STATE=${TE_CLUSTER_STATE:-/tmp/te_cluster.${P%-}}
HEAD=${P}head
SUBNET=10.77.0.0/24
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "netns_cluster: $*" >&2; exit 1; }

ns_of() {   # host name -> namespace name
    case $1 in
        head) echo "$HEAD" ;;
        h[0-9]|h[0-9][0-9]) echo "${P}$1" ;;
        *) die "unknown host '$1' (want head or hN)" ;;
    esac
}

addr_of() { # host name -> IPv4 address
    case $1 in
        head) echo 10.77.0.1 ;;
        h*) n=${1#h}; echo "10.77.0.$((10 + n))" ;;
    esac
}

ns_exists() { [ -e "/run/netns/$1" ]; }

ns_pids() {  # pids of every process in our namespaces
    for f in /run/netns/"${P}"h[0-9]* /run/netns/"$HEAD"; do
        [ -e "$f" ] && ip netns pids "$(basename "$f")" 2>/dev/null
    done
    true
}

do_down() {
    # Stop whatever still runs inside our namespaces (only ours: matched by netns):
    # TERM, up to 2 s, KILL, wait until gone; then delete the namespaces (which
    # removes their veths and the bridge). Hosts first, head last.
    pids=$(ns_pids)
    if [ -n "$pids" ]; then
        kill $pids 2>/dev/null || true
        n=0
        while [ -n "$(ns_pids)" ] && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
        pids=$(ns_pids)
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
        n=0
        while [ -n "$(ns_pids)" ] && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
    fi
    for f in /run/netns/"${P}"h[0-9]* /run/netns/"$HEAD"; do
        [ -e "$f" ] && ip netns del "$(basename "$f")" 2>/dev/null || true
    done
    rm -rf "$STATE"
}

do_up() {
    [ "$(id -u)" = 0 ] || die "needs root"
    command -v ip >/dev/null || die "needs ip (iproute2)"
    case $K in ''|*[!0-9]*) die "TE_CLUSTER_HOSTS must be a number" ;; esac
    [ "$K" -ge 1 ] && [ "$K" -le 99 ] || die "TE_CLUSTER_HOSTS must be 1..99"
    case $L in ''|*[!0-9]*) die "TE_CLUSTER_LEAVES must be a number" ;; esac
    [ "$L" -le "$K" ] || die "TE_CLUSTER_LEAVES ($L) must be at most TE_CLUSTER_HOSTS ($K)"
    case $R in [1-8]) ;; *) die "TE_CLUSTER_RAILS must be 1..8" ;; esac
    for f in /run/netns/"$HEAD" /run/netns/"${P}"h[0-9]*; do
        [ ! -e "$f" ] || die "namespace $(basename "$f") exists: cluster '$P' up? run down first or set TE_CLUSTER_PREFIX"
    done
    # On any failure below: remove what was built so far.
    trap 'rc=$?; if [ $rc != 0 ]; then echo "netns_cluster: up failed, tearing down" >&2; do_down; fi' EXIT
    mkdir -p "$STATE"

    ip netns add "$HEAD"
    ip -n "$HEAD" link set lo up
    ip -n "$HEAD" link add br0 type bridge
    ip -n "$HEAD" addr add 10.77.0.1/24 dev br0
    ip -n "$HEAD" link set br0 up
    make_leaves
    r=1
    while [ "$r" -lt "$R" ]; do
        ip -n "$HEAD" link add "br$r" type bridge
        ip -n "$HEAD" addr add "10.77.$r.1/24" dev "br$r"
        ip -n "$HEAD" link set "br$r" up
        r=$((r + 1))
    done
    i=0
    while [ "$i" -lt "$K" ]; do
        ns=${P}h$i
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # veth created in head (port vhN), peer placed straight into hN as eth0
        ip -n "$HEAD" link add "vh$i" type veth peer name eth0 netns "$ns"
        ip -n "$HEAD" link set "vh$i" master "$(bridge_of "$i")" up
        ip -n "$ns" addr add "10.77.0.$((10 + i))/24" dev eth0
        ip -n "$ns" link set eth0 up
        r=1
        while [ "$r" -lt "$R" ]; do
            ip -n "$HEAD" link add "vh${i}r$r" type veth peer name "eth$r" netns "$ns"
            ip -n "$HEAD" link set "vh${i}r$r" master "br$r" up
            ip -n "$ns" addr add "10.77.$r.$((10 + i))/24" dev "eth$r"
            ip -n "$ns" link set "eth$r" up
            r=$((r + 1))
        done
        i=$((i + 1))
    done
    do_hostfile 1 > "$STATE/hostfile"
    {
        echo "TE_CLUSTER_PREFIX=$P"
        echo "TE_CLUSTER_HOSTS=$K"
        echo "TE_CLUSTER_LEAVES=$L"
        echo "TE_CLUSTER_RAILS=$R"
        echo "TE_CLUSTER_STATE=$STATE"
    } > "$STATE/env"
    # Wait until every bridge port forwards (ports come up asynchronously; no ping here).
    n=0
    while ip -n "$HEAD" -o link show master br0 | grep -qv 'state UP' \
          || [ "$(bridge -n "$HEAD" link show 2>/dev/null | grep -c 'state forwarding')" -lt $((K * R + 2 * L)) ]; do
        n=$((n + 1)); [ $n -lt 50 ] || die "bridge ports did not come up"
        sleep 0.1
    done
    trap - EXIT
    echo "netns_cluster: up: $HEAD + ${P}h0..${P}h$((K - 1)) on $SUBNET; hostfile $STATE/hostfile"
}

leaf_of() {  # host index -> leaf number 1..L (hosts in order, ceil(K/L) per leaf)
    echo $(($1 / ((K + L - 1) / L) + 1))
}

bridge_of() {  # host index -> the bridge its port joins
    if [ "$L" -gt 0 ]; then echo "lf$(leaf_of "$1")"; else echo br0; fi
}

make_leaves() {  # leaf bridges, their uplinks to br0, and topology.conf
    [ "$L" -gt 0 ] || return 0
    j=1
    while [ "$j" -le "$L" ]; do
        ip -n "$HEAD" link add "lf$j" type bridge
        ip -n "$HEAD" link set "lf$j" up
        ip -n "$HEAD" link add "up$j" type veth peer name "dn$j"
        ip -n "$HEAD" link set "up$j" master "lf$j" up
        ip -n "$HEAD" link set "dn$j" master br0 up
        nodes=""
        i=0
        while [ "$i" -lt "$K" ]; do
            [ "$(leaf_of "$i")" != "$j" ] || nodes="$nodes${nodes:+,}h$i"
            i=$((i + 1))
        done
        echo "SwitchName=leaf$j Nodes=$nodes"
        j=$((j + 1))
    done > "$STATE/topology.conf"
    echo "SwitchName=spine1 Switches=leaf[1-$L]" >> "$STATE/topology.conf"
}

do_hostfile() {
    slots=${1:-1}
    i=0
    while [ "$i" -lt "$K" ]; do echo "h$i slots=$slots"; i=$((i + 1)); done
}

do_exec() {
    [ $# -ge 2 ] || die "usage: exec HOST CMD..."
    host=$1; shift
    ns=$(ns_of "$host")
    ns_exists "$ns" || die "namespace $ns does not exist (cluster not up?)"
    # Own UTS namespace with hostname = host name: Open MPI session dirs and
    # Slurm node names then differ per "host" (they share /tmp and /dev/shm).
    exec ip netns exec "$ns" unshare --uts sh -c 'hostname "$0"; exec "$@"' "$host" "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
    up) do_up ;;
    down) do_down ;;
    exec) do_exec "$@" ;;
    rsh-agent) exec "$HERE/rsh_agent.sh" "$@" ;;
    hostfile) do_hostfile "${1:-1}" ;;
    addr) addr_of "$1" ;;
    status)
        for f in /run/netns/"$HEAD" /run/netns/"${P}"h[0-9]*; do
            [ -e "$f" ] || continue
            ns=$(basename "$f")
            echo "$ns: $(ip -n "$ns" -4 -o addr show | awk '$2 != "lo" {print $2, $4}' | tr '\n' ' ')"
        done ;;
    *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
