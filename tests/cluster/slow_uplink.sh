#!/bin/sh
# slow_uplink.sh — throttle a leaf's uplink in a two-level netns cluster, both directions.
#
#   slow_uplink.sh leafJ RATE     e.g.  slow_uplink.sh leaf2 100mbit
#   slow_uplink.sh leafJ off      remove that throttle again
#
# The uplink of leaf J is the veth pair upJ (a port of leaf bridge lfJ) / dnJ (a port of the
# spine br0) in the head namespace (netns_cluster.sh with TE_CLUSTER_LEAVES). An htb root
# qdisc on each end sends everything through one class of RATE: every path between a host
# under leaf J and a host under another leaf is limited, paths inside a leaf are not.
#
# TE_SHAPE_LIMIT=N: the class queues at most N packets (a pfifo under it), as a switch's
# buffer would, rather than the device's 1000: a deep queue delays the ACKs of the flows
# going the other way and couples the two directions.
#
# Needs the cluster from netns_cluster.sh (same TE_CLUSTER_PREFIX).
set -eu
P=${TE_CLUSTER_PREFIX:-te-}
die() { echo "slow_uplink: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: slow_uplink.sh leafJ RATE|off   (RATE as tc writes it: 100mbit, 1gbit)"
case $1 in leaf[1-9]|leaf[1-9][0-9]) j=${1#leaf} ;; *) die "bad leaf '$1' (want leafJ, J from 1)" ;; esac
ns=${P}head
[ -e "/run/netns/$ns" ] || die "no namespace $ns (cluster up? TE_CLUSTER_PREFIX?)"
for dev in "up$j" "dn$j"; do
    ip -n "$ns" link show "$dev" >/dev/null 2>&1 || die "no uplink $dev in $ns (TE_CLUSTER_LEAVES below $j?)"
    ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null || true
    [ "$2" = off ] && continue
    ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: htb default 1
    ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:1 htb rate "$2" ceil "$2" quantum 60000
    [ -z "${TE_SHAPE_LIMIT:-}" ] || ip netns exec "$ns" tc qdisc add dev "$dev" parent 1:1 handle 10: pfifo limit "$TE_SHAPE_LIMIT"
done
echo "slow_uplink: $1 $2"
