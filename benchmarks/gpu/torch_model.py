"""The PyTorch peer of `mxc-gpu-runner model`: the same llama2.c checkpoint
run in PyTorch (float32, eager, KV cache) on the same GPU, checked against
the same reference logits (`mxc-run --save-logits` of the float model), then
timed the same way: the prefill of seq_len tokens, and the decode of seq_len
tokens one at a time.

    python3 torch_model.py MODEL.bin FLOAT.ref [--numpy]

--numpy runs the same code with numpy on the CPU (no timing): a check of this
script where PyTorch is missing.
"""

import struct
import sys
import time

import numpy as np


class Backend:
    """The few array operations the forward pass needs, for numpy or torch."""

    def __init__(self, torch=None, device=None):
        self.torch, self.device = torch, device

    def array(self, values):
        a = np.ascontiguousarray(values, dtype=np.float32)
        return self.torch.from_numpy(a).to(self.device) if self.torch else a

    def zeros(self, shape):
        if self.torch:
            return self.torch.zeros(shape, dtype=self.torch.float32, device=self.device)
        return np.zeros(shape, dtype=np.float32)

    def numpy(self, a):
        return a.detach().cpu().numpy() if self.torch else a

    def exp(self, a):
        return self.torch.exp(a) if self.torch else np.exp(a)

    def rsqrt_mean_square(self, x):  # over the last axis, keeping it
        if self.torch:
            return self.torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-5)
        return 1.0 / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-5)

    def max_last(self, x):
        return x.max(-1, keepdim=True).values if self.torch else x.max(-1, keepdims=True)

    def sum_last(self, x):
        return x.sum(-1, keepdim=True) if self.torch else x.sum(-1, keepdims=True)

    def sync(self):
        if self.torch:
            self.torch.cuda.synchronize()


def load(path, be):
    """A llama2.c checkpoint: 7 int32 (dim, hidden, layers, heads, kv_heads,
    vocab (negative: own classifier), seq_len), then the float32 weights."""
    with open(path, "rb") as f:
        dim, hidden, layers, heads, kv_heads, vocab, seq_len = struct.unpack("7i", f.read(28))
        data = np.frombuffer(f.read(), dtype=np.float32)
    shared = vocab > 0
    vocab = abs(vocab)
    head = dim // heads
    kv_dim = kv_heads * head
    at = 0

    def take(*shape):
        nonlocal at
        n = int(np.prod(shape))
        a = data[at:at + n].reshape(shape)
        at += n
        return a

    w = {"embedding": take(vocab, dim), "rms_att": take(layers, dim),
         "wq": take(layers, dim, dim), "wk": take(layers, kv_dim, dim),
         "wv": take(layers, kv_dim, dim), "wo": take(layers, dim, dim),
         "rms_ffn": take(layers, dim), "w1": take(layers, hidden, dim),
         "w2": take(layers, dim, hidden), "w3": take(layers, hidden, dim),
         "rms_final": take(dim)}
    take(seq_len * head // 2)  # RoPE tables of old llama2.c files
    take(seq_len * head // 2)
    w["classifier"] = w["embedding"] if shared else take(vocab, dim)
    config = dict(dim=dim, hidden=hidden, layers=layers, heads=heads,
                  kv_heads=kv_heads, vocab=vocab, seq_len=seq_len, head=head)
    # Matrices ([out, in]) transposed once, so that x @ W is the layer.
    matrices = {"wq", "wk", "wv", "wo", "w1", "w2", "w3", "classifier"}
    weights = {k: be.array(np.swapaxes(v, -1, -2) if k in matrices else v)
               for k, v in w.items()}
    weights["embedding_rows"] = w["embedding"]  # gathered on the host
    return config, weights


def rope(be, config, positions):
    """cos and sin [tokens, head/2] of llama2.c's rotary embedding."""
    head = config["head"]
    freq = 1.0 / (10000.0 ** (np.arange(0, head, 2, dtype=np.float32) / head))
    angles = np.outer(np.asarray(positions, dtype=np.float32), freq)
    return be.array(np.cos(angles)), be.array(np.sin(angles))


def rotate(x, cos, sin):
    """x [tokens, n_heads, head]: pairs (2i, 2i+1) rotated by the angles."""
    even, odd = x[..., 0::2], x[..., 1::2]
    out = x * 0
    out[..., 0::2] = even * cos[:, None, :] - odd * sin[:, None, :]
    out[..., 1::2] = even * sin[:, None, :] + odd * cos[:, None, :]
    return out


def forward(be, config, w, tokens, start, k_cache, v_cache):
    """Logits [len(tokens), vocab] at positions start..., updating the caches
    ([layers, kv_heads, seq_len, head])."""
    c = config
    n, heads, kv_heads, head = len(tokens), c["heads"], c["kv_heads"], c["head"]
    group = heads // kv_heads
    x = be.array(w["embedding_rows"][np.asarray(tokens)])
    cos, sin = rope(be, c, range(start, start + n))
    end = start + n
    # Row i sees keys 0 .. start + i.
    mask = np.triu(np.full((n, end), -np.inf, dtype=np.float32), k=start + 1)
    mask = be.array(mask)
    for l in range(c["layers"]):
        h = x * be.rsqrt_mean_square(x) * w["rms_att"][l]
        q = rotate((h @ w["wq"][l]).reshape(n, heads, head), cos, sin)
        k = rotate((h @ w["wk"][l]).reshape(n, kv_heads, head), cos, sin)
        v = (h @ w["wv"][l]).reshape(n, kv_heads, head)
        for g in range(kv_heads):
            k_cache[l, g, start:end] = k[:, g]
            v_cache[l, g, start:end] = v[:, g]
        outs = []
        for hh in range(heads):
            g = hh // group
            scores = (q[:, hh] @ k_cache[l, g, :end].T) / float(np.sqrt(head)) + mask
            p = be.exp(scores - be.max_last(scores))
            p = p / be.sum_last(p)
            outs.append(p @ v_cache[l, g, :end])
        att = outs[0] if heads == 1 else (be.torch.cat(outs, -1) if be.torch else np.concatenate(outs, -1))
        x = x + att @ w["wo"][l]
        h = x * be.rsqrt_mean_square(x) * w["rms_ffn"][l]
        a, b = h @ w["w1"][l], h @ w["w3"][l]
        silu = a / (1.0 + be.exp(-a))
        x = x + (silu * b) @ w["w2"][l]
    x = x * be.rsqrt_mean_square(x) * w["rms_final"]
    return x @ w["classifier"]


def read_reference(path):
    with open(path, "rb") as f:
        assert f.read(8) == b"MXCLOGIT", f"{path}: not from mxc-run --save-logits"
        count, vocab = struct.unpack("<2q", f.read(16))
        tokens = np.frombuffer(f.read(4 * count), dtype=np.int32)
        logits = np.frombuffer(f.read(4 * count * vocab), dtype=np.float32).reshape(count, vocab)
    return tokens, logits


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    use_numpy = "--numpy" in sys.argv
    if use_numpy:
        be = Backend()
    else:
        import torch
        be = Backend(torch, torch.device("cuda"))
    config, w = load(sys.argv[1], be)
    tokens, want = read_reference(sys.argv[2])
    c = config
    shape = (c["layers"], c["kv_heads"], c["seq_len"], c["head"])
    k_cache, v_cache = be.zeros(shape), be.zeros(shape)
    prefill = be.numpy(forward(be, c, w, list(tokens), 0, k_cache, v_cache))
    decode = np.concatenate([be.numpy(forward(be, c, w, [t], i, k_cache, v_cache))
                             for i, t in enumerate(tokens)])
    ok = True
    for name, got in [("prefill", prefill), ("decode", decode)]:
        worst = float(np.max(np.abs(got - want)))
        ok &= worst <= 2e-3
        print(f"{'numpy' if use_numpy else 'PyTorch'} {name} logits of {len(tokens)} tokens "
              f"{'match' if worst <= 2e-3 else 'DIFFER from'} the reference: "
              f"max |difference| {worst:.3e} (limit 2.0e-03)")
    if not ok or use_numpy:
        return 0 if ok else 1
    context = [int(tokens[i % len(tokens)]) for i in range(c["seq_len"])]
    forward(be, c, w, context, 0, k_cache, v_cache)  # warm-up
    be.sync()
    start = time.perf_counter()
    runs = 5
    for _ in range(runs):
        forward(be, c, w, context, 0, k_cache, v_cache)
    be.sync()
    prefill_s = (time.perf_counter() - start) / runs
    start = time.perf_counter()
    for i, t in enumerate(context):
        forward(be, c, w, [t], i, k_cache, v_cache)
    be.sync()
    decode_s = time.perf_counter() - start
    n = c["seq_len"]
    print(f"\n| PyTorch {be.torch.__version__} (float32, eager) | prefill {n} tokens, ms | "
          f"prefill tokens/s | decode {n} tokens one by one, tokens/s |\n"
          f"|---|---:|---:|---:|\n"
          f"| {sys.argv[1]} | {prefill_s * 1e3:.3f} | {n / prefill_s:.0f} | {n / decode_s:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
