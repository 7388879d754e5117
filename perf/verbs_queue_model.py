#!/usr/bin/env python3
"""verbs_queue_model.py [RANKS] — the verbs transport's QPs and pinned queue memory per rank and
NIC at RANKS ranks (default 1024), before and after connections on demand and lean queues
(issue 26), with the arithmetic of engine/verbs/queue_sizing.cc (rdma-core's mlx5 provider:
mlx5_calc_send_wqe / mlx5_calc_sq_size) and the CQ sizing of engine/verbs/connection.cc.
Prints a markdown table for docs/PERFORMANCE.md."""
import sys

def pow2(v):
    p = 1
    while p < v:
        p <<= 1
    return p

def align(v, a):
    return (v + a - 1) // a * a

def wqe(inline, lean):
    overhead = 32 if lean else 192  # ctrl + raddr; or room for a memory-window bind
    size = overhead + 16
    if inline:
        size = max(size, overhead + align(4 + inline, 16))
    return align(size, 64)

def model(n, peers, threads, qps, depth, inline, lean, planned_peers):
    qp_count = peers * threads * qps                  # per NIC (one NIC per rank)
    sq = pow2(depth * wqe(inline, lean)) + 4096       # send queue + a page (RQ, doorbell)
    lanes_per_worker = planned_peers * qps
    cq = threads * pow2(lanes_per_worker * depth + 1) * 64
    return qp_count, qp_count * sq, cq

def mib(b):
    return "%.1f MiB" % (b / 2**20) if b < 2**30 else "%.2f GiB" % (b / 2**30)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
threads, qps, batch, in_flight = 4, 2, 128, 2
rows = [
    ("main: full mesh, ibv_create_qp, --max-wr 256, 128 B inline", n - 1, 256, 128, False, n - 1),
    ("full mesh, lean queues (depth 128, no inline, WRITE/READ only)", n - 1, 128, 0, True, n - 1),
    ("on demand, cap 16 (default above 64 ranks), lean queues", 16, 128, 0, True, 16),
    ("on demand, --max-connected-peers 2, lean queues", 2, 128, 0, True, 2),
]
print("| %d ranks, --threads %d --qps-per-peer %d, batch %d x %d, 64 KiB writes | QPs live per rank and NIC | QP memory | CQs | total |"
      % (n, threads, qps, batch, in_flight))
print("|---|---|---|---|---|")
for name, peers, depth, inline, lean, planned in rows:
    count, qpb, cqb = model(n, peers, threads, qps, depth, inline, lean, planned)
    print("| %s | %d | %s | %s | %s |" % (name, count, mib(qpb), mib(cqb), mib(qpb + cqb)))
