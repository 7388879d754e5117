#!/usr/bin/env python3
"""phase_sync_model.py: what stragglers cost a whole exact pairs run with a hand-off after
every phase (--phase-sync global: each phase lasts its slowest link) and with pair handshakes
(--phase-sync pairs: a rank starts phase p once its partners of p-1, its targets of p and their
partners of p-1 are through p-1; the rule of src/bench/run/phase_deps.h, which
tests/unit/phase_deps_test.cc checks on the C++ side). Control messages cost nothing here: the
model is about how link times add up.

    perf/phase_sync_model.py 16 64 256 1024      (prints a markdown table)

Link times: exponential (mean 1), and --duration auto's shape on a quiet fabric: most links at
the 0.1 s floor, a few (2%, 0.2%) running to the 2 s cap.
"""
import random
import sys


def rounds(n):
    # The circle method of src/bench/run/schedule.cc (pairsSchedule).
    m = n if n % 2 == 0 else n + 1
    slots = list(range(m))
    out = []
    for _ in range(m - 1):
        out.append([(min(slots[i], slots[m - 1 - i]), max(slots[i], slots[m - 1 - i]))
                    for i in range(m // 2) if slots[i] < n and slots[m - 1 - i] < n])
        last = slots[m - 1]
        for i in range(m - 1, 1, -1):
            slots[i] = slots[i - 1]
        slots[1] = last
    return out


def pairs(n):
    phases = []
    for r, round_ in enumerate(rounds(n)):
        forward, backward = [], []
        for a, b in round_:
            if r % 2 == 1:
                a, b = b, a
            forward.append((a, b))
            backward.append((b, a))
        phases += [forward, backward]
    return phases


def run(n, draw):
    phases = pairs(n)
    finish = [0.0] * n
    hand_off = 0.0
    for p, links in enumerate(phases):
        partners = [[] for _ in range(n)]
        if p > 0:
            for a, b in phases[p - 1]:
                partners[a].append(b)
                partners[b].append(a)
        took = [0.0] * n
        targets = [[] for _ in range(n)]
        for a, b in links:
            took[a] = draw()
            targets[a].append(b)
        hand_off += max(took)
        nxt = []
        for r in range(n):
            need = set(partners[r]) | set(targets[r])
            for t in targets[r]:
                need |= set(partners[t])
            need.discard(r)
            nxt.append(max([finish[r]] + [finish[w] for w in need]) + took[r])
        finish = nxt
    return len(phases), hand_off, max(finish)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [16, 64, 256, 1024]
    shapes = [("exponential, mean 1 s", lambda: random.expovariate(1.0)),
              ("0.1 s, 2% of links to the 2 s cap", lambda: 2.0 if random.random() < 0.02 else 0.1),
              ("0.1 s, 0.2% of links to the 2 s cap", lambda: 2.0 if random.random() < 0.002 else 0.1)]
    print("| link times | ranks | phases | hand-off per phase, s | handshakes, s | ratio |")
    print("|---|---|---|---|---|---|")
    for name, draw in shapes:
        for n in sizes:
            random.seed(1)
            phases, hand_off, handshakes = run(n, draw)
            print("| %s | %d | %d | %.1f | %.1f | %.2f |" % (name, n, phases, hand_off, handshakes, hand_off / handshakes))


if __name__ == "__main__":
    main()
