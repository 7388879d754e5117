#!/usr/bin/env python3
"""json_field.py FILE PATH [--mean] [--scale X] [--format SPEC] — one field of a JSON file.

The perf scripts' one way to read a number out of a report (te_bench --json, iperf3 -J,
ucx_perftest's JSON line). FILE is a path or - (stdin: its last line that parses, or the
whole text). PATH is dotted: keys and list indices, * for every element
(results.0.links.*.bytes_per_second). Values are multiplied by --scale, averaged with
--mean, printed with the Python format SPEC (.2f), several values space-separated.
Exit 1 when the file or the field is missing (the reason on stderr).
"""
import argparse
import json
import sys


def load(path):
    text = sys.stdin.read() if path == "-" else open(path).read()
    try:
        return json.loads(text)
    except ValueError:
        for line in reversed(text.splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
        raise


def walk(value, keys):
    if not keys:
        return [value]
    key, rest = keys[0], keys[1:]
    if key == "*":
        items = value if isinstance(value, list) else list(value.values())
        return [v for item in items for v in walk(item, rest)]
    return walk(value[int(key)] if isinstance(value, list) else value[key], rest)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("path")
    p.add_argument("--mean", action="store_true")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--format", default="")
    a = p.parse_args()
    try:
        values = walk(load(a.file), a.path.split("."))
    except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
        print("json_field: %s %s: %r" % (a.file, a.path, e), file=sys.stderr)
        return 1
    if a.scale != 1.0 or a.mean:
        values = [float(v) * a.scale for v in values]
    if a.mean:
        values = [sum(values) / len(values)] if values else []
    print(" ".join(format(v, a.format) for v in values))
    return 0 if values else 1


if __name__ == "__main__":
    sys.exit(main())
