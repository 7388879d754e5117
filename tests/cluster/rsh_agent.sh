#!/bin/sh
# rsh_agent.sh — Open MPI's "ssh" for a netns cluster built by netns_cluster.sh.
#
#   mpirun --mca plm_rsh_agent /path/to/rsh_agent.sh --hostfile HF ...
#
# Open MPI calls it as   rsh_agent.sh [options] HOST WORD...   where the WORDs are
# meant for a remote shell (ssh joins them into one string): some carry shell quotes,
# e.g. -mca orte_hnp_uri "123.0;tcp://10.77.0.1:4000". So, like ssh, this joins the
# words and runs them with sh -c — `exec "$@"` would hand orted literal quote marks.
# The host gets its own UTS namespace with hostname = HOST (ranks in different
# namespaces share /tmp and /dev/shm: distinct host names keep Open MPI's session
# dirs apart and stop vader from pairing "remote" ranks over shared memory).
#
# Host hN maps to netns ${TE_CLUSTER_PREFIX:-te-}hN. mpirun passes its environment
# to the agent, and tree-spawned orteds inherit it, so exporting the prefix once is
# enough. Works from the head namespace and from inside any hN (tree spawn).
set -eu
while [ $# -gt 0 ]; do
    case $1 in -*) shift ;; *) break ;; esac   # ssh-style options (-x ...) ignored
done
[ $# -ge 2 ] || { echo "rsh_agent.sh: usage: rsh_agent.sh HOST CMD..." >&2; exit 255; }
host=$1; shift
case $host in
    head|h[0-9]|h[0-9][0-9]) ;;
    *) echo "rsh_agent.sh: unknown host '$host' (want head or hN)" >&2; exit 255 ;;
esac
ns=${TE_CLUSTER_PREFIX:-te-}$host
[ -e "/run/netns/$ns" ] || { echo "rsh_agent.sh: no namespace $ns (TE_CLUSTER_PREFIX?)" >&2; exit 255; }
exec ip netns exec "$ns" unshare --uts sh -c "hostname $host; $*"
