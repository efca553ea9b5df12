"""Checks mxc-run's "the next tokens whose NLL rose most" line against the
two models' logits of the same window, in float64.

    token-costs.py PAIRED MODEL.logits REFERENCE.logits

PAIRED is `mxc-run MODEL --perplexity TEXT --kl-reference REF` on a TEXT of
one window; the logits files are `mxc-run X --prompt-file TEXT
--save-logits FILE` of each model (MXCLOGIT: int64 tokens, int64 vocab,
int32 tokens[], float32 logits[tokens][vocab]). Prints OK or what differs.
"""

import re
import sys

import numpy as np


def read_logits(path):
    data = open(path, "rb").read()
    assert data[:8] == b"MXCLOGIT", path
    n, vocab = np.frombuffer(data, np.int64, 2, 8)
    tokens = np.frombuffer(data, np.int32, n, 24)
    logits = np.frombuffer(data, np.float32, n * vocab, 24 + 4 * n)
    return tokens, logits.reshape(n, vocab).astype(np.float64)


def nll(tokens, logits):
    rows = logits[:-1]
    top = rows.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
    return log_z - rows[np.arange(len(rows)), tokens[1:]]


def main():
    paired = open(sys.argv[1]).read()
    tokens, model = read_logits(sys.argv[2])
    ref_tokens, reference = read_logits(sys.argv[3])
    problems = []
    if not np.array_equal(tokens, ref_tokens):
        sys.exit("the two logits files have other tokens")
    count = re.search(r"over ([0-9]+) tokens in 1 windows", paired)
    if not count or int(count.group(1)) != len(tokens) - 1:
        sys.exit("not the window of the logits files:\n" + paired)
    difference = nll(tokens, model) - nll(tokens, reference)
    following = tokens[1:]
    sums = {t: difference[following == t].sum() for t in np.unique(following)}
    costliest = sorted((t for t in sums if sums[t] > 0), key=lambda t: -sums[t])
    line = re.search(r"the next tokens whose NLL rose most: (.*)", paired)
    if not line:
        sys.exit("no line of the costliest tokens in:\n" + paired)
    printed = re.findall(
        r'"(?:[^"\\]|\\.)*" \(([0-9]+)\) \+([0-9.]+) nats over ([0-9]+)'
        r"(?: \(([0-9]+) %\))?",
        line.group(1),
    )
    expected = costliest[:3]
    if [int(p[0]) for p in printed] != [int(t) for t in expected]:
        problems.append(f"tokens {[p[0] for p in printed]} != {expected}")
    total = difference.sum()
    for (token, nats, n, share), t in zip(printed, expected):
        if abs(float(nats) - sums[t]) > 0.051:
            problems.append(f"token {t}: {nats} nats != {sums[t]:.3f}")
        if int(n) != int((following == t).sum()):
            problems.append(f"token {t}: {n} times != {(following == t).sum()}")
        if total > 0 and abs(int(share) - 100 * sums[t] / total) > 0.51:
            problems.append(f"token {t}: {share} % != {100 * sums[t] / total:.1f}")
    print("; ".join(problems) if problems else "OK")


main()
