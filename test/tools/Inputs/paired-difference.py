"""Checks mxc-run's paired comparison with a reference (--kl-reference)
against the two models' own perplexity runs over the first 1..W windows.

    paired-difference.py PAIRED MODEL_1 .. MODEL_W REFERENCE_1 .. REFERENCE_W

PAIRED is `mxc-run MODEL --perplexity TEXT --max-windows W --kl-reference
REF`; MODEL_k and REFERENCE_k are `mxc-run X --perplexity TEXT
--max-windows k` of each model alone. The differences of their cumulative
NLL sums give each window's summed NLL and tokens, and from them the mean
NLL difference and its standard error clustered by window. Prints OK or
what differs.
"""

import math
import re
import sys

RUN = re.compile(r"perplexity ([0-9.]+) over ([0-9]+) tokens .*mean NLL ([0-9.]+) ")
PAIRED = re.compile(
    r"the float model: perplexity ([0-9.]+) \(mean NLL ([0-9.]+)\); this model "
    r"([-+][0-9.]+) % \(NLL ([-+][0-9.]+) \+/- ([0-9.]+) nats per token, paired by window\)"
)


def run(path):
    m = RUN.search(open(path).read())
    return m.group(1), int(m.group(2)), float(m.group(3))


def main():
    paired = open(sys.argv[1]).read()
    files = sys.argv[2:]
    windows = len(files) // 2
    model = [run(p) for p in files[:windows]]
    reference = [run(p) for p in files[windows:]]
    m = PAIRED.search(paired)
    if not m:
        sys.exit("no paired line in:\n" + paired)
    problems = []
    if (m.group(1), float(m.group(2))) != (reference[-1][0], reference[-1][2]):
        problems.append(f"reference {m.group(1)} {m.group(2)} != {reference[-1]}")
    tokens = model[-1][1]
    mean = model[-1][2] - reference[-1][2]
    if abs(float(m.group(4)) - mean) > 2e-5:
        problems.append(f"difference {m.group(4)} != {mean:.5f}")
    ratio = 100 * (float(model[-1][0]) / float(reference[-1][0]) - 1)
    if abs(float(m.group(3)) - ratio) > 0.011:
        problems.append(f"percent {m.group(3)} != {ratio:.2f}")
    # Each window's tokens and summed NLL difference.
    squares, before = 0.0, (0, 0.0, 0.0)
    for (_, n, q), (_, _, f) in zip(model, reference):
        count, sum_q, sum_f = n - before[0], n * q - before[1], n * f - before[2]
        squares += ((sum_q - sum_f) - mean * count) ** 2
        before = (n, n * q, n * f)
    stderr = math.sqrt(squares * windows / (windows - 1)) / tokens
    printed = float(m.group(5))
    if not (stderr > 0 and abs(printed - stderr) <= 0.05 * stderr + 1e-5):
        problems.append(f"standard error {printed} != {stderr:.5f}")
    print("; ".join(problems) if problems else "OK")


main()
