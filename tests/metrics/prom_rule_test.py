#!/usr/bin/env python3
"""promtool's rule test for one te_bench run: its metrics file becomes the input series (as
Prometheus scrapes them from node_exporter, with job and instance), and the alerts the run must
fire are expected with the labels and annotations the shipped rules give them.

usage: prom_rule_test.py METRICS.prom RULES.yml OUT.yml INITIATOR TARGET
  INITIATOR -> TARGET: the link the run made slow; the test expects TeBenchLinkSlow for it
  and TeBenchLinkBelowExpectation where the run had an expectation it missed."""
import json
import re
import sys

JOB, INSTANCE = "node", "node01:9100"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), v)


def read(path):
    out = []
    for line in open(path):
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            sys.exit(f"prom_rule_test.py: {path}: not a sample line: {line!r}")
        labels = {k: unescape(v) for k, v in LABEL.findall(m.group(2) or '')}
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def series_text(name, labels):
    body = ','.join(f'{k}={json.dumps(v)}' for k, v in sorted(labels.items()))
    return f'{name}{{{body}}}'


def main():
    metrics, rules, out, initiator, target = sys.argv[1:6]
    samples = read(metrics)
    tests_series, slow, below = [], None, None
    for name, labels, value in samples:
        labels = dict(labels, job=JOB, instance=INSTANCE)
        tests_series.append({'series': series_text(name, labels), 'values': ' '.join([repr(value)] * 10)})
        if labels.get('initiator') == initiator and labels.get('target') == target:
            if name == 'te_bench_link_ratio':
                slow = (labels, value)
            if name == 'te_bench_link_throughput_bytes_per_second':
                below = (labels, value)
    flags = {(n, l.get('initiator'), l.get('target')): v for n, l, v in samples}
    if slow is None or flags.get(('te_bench_link_confirmed', initiator, target)) != 1:
        sys.exit(f"prom_rule_test.py: {metrics}: link {initiator}->{target} is not a confirmed slow link")

    def link_alert(labels, severity, summary, description):
        return {'exp_labels': dict(labels, severity=severity),
                'exp_annotations': {'summary': summary, 'description': description}}

    where = lambda l: f"link {l['initiator']} ({l['initiator_host']}) -> {l['target']} ({l['target_host']})"
    what = lambda l: f"{l['transport']} {l['operation']} {l['block_size']} B"
    labels, ratio = slow
    tests = [{'eval_time': '5m', 'alertname': 'TeBenchLinkSlow', 'exp_alerts': [link_alert(
        labels, 'warning', f"te_bench: {where(labels)} slow",
        f"{what(labels)}: {ratio:.2f} x the median of comparable links, measured alone too.")]}]
    if flags.get(('te_bench_link_below_expectation', initiator, target)) == 1:
        labels, rate = below
        tests.append({'eval_time': '5m', 'alertname': 'TeBenchLinkBelowExpectation', 'exp_alerts': [link_alert(
            labels, 'warning', f"te_bench: {where(labels)} below its expectation",
            f"{what(labels)}: {rate:.0f} bytes/s, below te_bench_block_expected_bytes_per_second.")]})
    # A finished run: nothing incomplete (an alert that must stay silent is tested too).
    tests.append({'eval_time': '5m', 'alertname': 'TeBenchRunIncomplete', 'exp_alerts': []})
    doc = {'rule_files': [rules], 'evaluation_interval': '1m',
           'tests': [{'interval': '1m', 'input_series': tests_series, 'alert_rule_test': tests}]}
    # JSON is YAML: no YAML library needed.
    with open(out, 'w') as f:
        json.dump(doc, f, indent=1)
    print(f"prom_rule_test.py: {len(tests_series)} series, {len(tests)} alert checks -> {out}")


main()
