#!/bin/sh
# slow_rail.sh — throttle one rail of a netns cluster with rails, on every host.
#
#   slow_rail.sh J RATE     e.g.  slow_rail.sh 1 100mbit   (rail J: interface ethJ)
#   slow_rail.sh J off      remove that throttle again
#
# Every host sends all it sends through ethJ via one htb class of RATE, so each path that
# leaves a host on rail J is limited (netns_cluster.sh with TE_CLUSTER_RAILS above J).
set -eu
P=${TE_CLUSTER_PREFIX:-te-}
die() { echo "slow_rail: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: slow_rail.sh J RATE|off   (RATE as tc writes it: 100mbit, 1gbit)"
case $1 in [0-7]) dev=eth$1 ;; *) die "bad rail '$1' (want 0..7)" ;; esac
found=0
for f in /run/netns/"$P"h[0-9]*; do
    [ -e "$f" ] || continue
    ns=$(basename "$f")
    ip -n "$ns" link show "$dev" >/dev/null 2>&1 || die "no $dev in $ns (TE_CLUSTER_RAILS at most $1?)"
    ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null || true
    found=$((found + 1))
    [ "$2" = off ] && continue
    ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: htb default 1
    ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:1 htb rate "$2" ceil "$2" quantum 60000
done
[ $found -gt 0 ] || die "no hosts with prefix $P (cluster up?)"
echo "slow_rail: rail $1 ($dev) $2 on $found hosts"
