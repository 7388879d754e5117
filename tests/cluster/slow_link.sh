#!/bin/sh
# slow_link.sh — throttle the link between two netns-cluster hosts, both directions.
#
#   slow_link.sh A B RATE     e.g.  slow_link.sh h1 h2 200mbit
#   slow_link.sh A B RATE oneway   only A -> B (A's egress): a link slow in one direction
#   slow_link.sh A B off      remove that throttle again
#   slow_link.sh show         print the tc set-up of every host
#
# This kernel has htb, tbf and u32 but no netem (no delay / loss). Each side shapes
# its own egress: in A, packets to B's address go through an htb class of RATE; in
# B, packets to A's address likewise; so A->B and B->A are both limited. Everything
# else is unclassified and leaves through htb's direct queue, unshaped (default 0).
# One class + filter per peer (classid 1:(100+N), filter prio 100+N for peer hN),
# so several slow links can share a host and re-running with a new RATE replaces it.
#
# Needs the cluster from netns_cluster.sh (same TE_CLUSTER_PREFIX).
set -eu
P=${TE_CLUSTER_PREFIX:-te-}
die() { echo "slow_link: $*" >&2; exit 1; }

idx() { case $1 in h[0-9]|h[0-9][0-9]) echo "${1#h}" ;; *) die "bad host '$1' (want hN)" ;; esac; }

shape() {   # shape HOST PEER RATE|off
    ns=${P}$1; peer=$(idx "$2"); addr=10.77.0.$((10 + peer))
    cid=1:$((100 + peer)); prio=$((100 + peer))
    [ -e "/run/netns/$ns" ] || die "no namespace $ns (cluster up? TE_CLUSTER_PREFIX?)"
    t() { ip netns exec "$ns" tc "$@"; }
    t filter del dev eth0 parent 1: prio "$prio" 2>/dev/null || true
    t class del dev eth0 classid "$cid" 2>/dev/null || true
    [ "$3" = off ] && return 0
    t qdisc show dev eth0 | grep -q '^qdisc htb 1: root' \
        || t qdisc replace dev eth0 root handle 1: htb default 0
    t class add dev eth0 parent 1: classid "$cid" htb rate "$3" ceil "$3" quantum 60000
    t filter add dev eth0 parent 1: protocol ip prio "$prio" u32 \
        match ip dst "$addr/32" flowid "$cid"
}

if [ "${1:-}" = show ]; then
    for f in /run/netns/"$P"h[0-9]*; do
        [ -e "$f" ] || continue; ns=$(basename "$f"); echo "== $ns"
        ip netns exec "$ns" tc -s class show dev eth0 | grep -E '^class|Sent' || true
        ip netns exec "$ns" tc filter show dev eth0 | grep -E 'flowid|match' || true
    done
    exit 0
fi
[ $# -eq 3 ] || { [ $# -eq 4 ] && [ "$4" = oneway ]; } \
    || die "usage: slow_link.sh A B RATE|off [oneway]   (RATE as tc writes it: 200mbit, 1gbit)"
[ "$1" != "$2" ] || die "A and B must differ"
idx "$1" >/dev/null; idx "$2" >/dev/null
shape "$1" "$2" "$3"
if [ $# -eq 4 ]; then
    echo "slow_link: $1 -> $2 ${3}"
    exit 0
fi
shape "$2" "$1" "$3"
echo "slow_link: $1 <-> $2 ${3}"
