"""mxc.compile / mxc.load / mxc.Model on a small random llama2.c model that
this test writes itself, checked against a float64 numpy forward pass."""

import math
import struct

import os

import numpy as np
import pytest

import mxc

DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ = 64, 96, 2, 4, 2, 259, 32
HD = DIM // HEADS
KV_DIM = KV_HEADS * HD


def random_weights(seed=5):
    rng = np.random.default_rng(seed)

    def normal(shape, scale, offset=0.0):
        return (offset + scale * rng.standard_normal(shape)).astype(np.float32)

    return {
        "emb": normal((VOCAB, DIM), DIM**-0.5),
        "rms_att": normal((LAYERS, DIM), 0.1, 1.0),
        "wq": normal((LAYERS, DIM, DIM), DIM**-0.5),
        "wk": normal((LAYERS, KV_DIM, DIM), DIM**-0.5),
        "wv": normal((LAYERS, KV_DIM, DIM), DIM**-0.5),
        "wo": normal((LAYERS, DIM, DIM), DIM**-0.5),
        "rms_ffn": normal((LAYERS, DIM), 0.1, 1.0),
        "w1": normal((LAYERS, HIDDEN, DIM), DIM**-0.5),
        "w2": normal((LAYERS, DIM, HIDDEN), HIDDEN**-0.5),
        "w3": normal((LAYERS, HIDDEN, DIM), DIM**-0.5),
        "rms_final": normal((DIM,), 0.1, 1.0),
    }


def write_llama2c(path, w):
    """The llama2.c checkpoint format (shared classifier)."""
    with open(path, "wb") as f:
        f.write(struct.pack("7i", DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ))
        for name in ["emb", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn",
                     "w1", "w2", "w3", "rms_final"]:
            f.write(w[name].tobytes())
        f.write(np.zeros(SEQ * HD, np.float32).tobytes())  # legacy RoPE tables


def write_byte_tokenizer(path):
    """<unk>, <s>, </s> and one byte-fallback piece per byte."""
    pieces = [b"<unk>", b"\n<s>\n", b"\n</s>\n"]
    pieces += [b"<0x%02X>" % b for b in range(256)]
    with open(path, "wb") as f:
        f.write(struct.pack("i", 6))
        for p in pieces:
            f.write(struct.pack("fi", 0.0, len(p)) + p)


def reference_logits(w, tokens):
    """llama2.c's forward pass in float64."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    n = len(tokens)
    x = w["emb"][tokens]

    def rmsnorm(x, g):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5) * g

    pos = np.arange(n)[:, None]
    freq = 1.0 / 10000.0 ** ((np.arange(0, HD, 2)) / HD)  # per pair in a head

    def rope(v, width):
        v = v.copy()
        for i in range(0, width, 2):
            angle = pos[:, 0] * freq[(i % HD) // 2]
            c, s = np.cos(angle), np.sin(angle)
            a, b = v[:, i].copy(), v[:, i + 1].copy()
            v[:, i], v[:, i + 1] = a * c - b * s, a * s + b * c
        return v

    for l in range(LAYERS):
        h = rmsnorm(x, w["rms_att"][l])
        q = rope(h @ w["wq"][l].T, DIM)
        k = rope(h @ w["wk"][l].T, KV_DIM)
        v = h @ w["wv"][l].T
        out = np.zeros((n, DIM))
        for head in range(HEADS):
            g = head // (HEADS // KV_HEADS)
            qh = q[:, head * HD:(head + 1) * HD]
            kh = k[:, g * HD:(g + 1) * HD]
            vh = v[:, g * HD:(g + 1) * HD]
            s = qh @ kh.T / math.sqrt(HD)
            s[np.triu_indices(n, 1)] = -np.inf
            p = np.exp(s - s.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            out[:, head * HD:(head + 1) * HD] = p @ vh
        x = x + out @ w["wo"][l].T
        h = rmsnorm(x, w["rms_ffn"][l])
        gate, up = h @ w["w1"][l].T, h @ w["w3"][l].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ w["w2"][l].T
    return rmsnorm(x, w["rms_final"]) @ w["emb"].T


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("model")
    w = random_weights()
    write_llama2c(d / "model.bin", w)
    write_byte_tokenizer(d / "tok259.bin")
    (d / "text.txt").write_text(
        "Once upon a time, a small boat sailed on a calm lake.\n" * 4)
    return d, w



def test_float_logits_match_numpy(model_dir):
    d, w = model_dir
    m = mxc.compile(str(d / "model.bin"))
    assert m.config == {"dim": DIM, "hidden_dim": HIDDEN, "layers": LAYERS,
                        "heads": HEADS, "kv_heads": KV_HEADS, "vocab": VOCAB,
                        "seq_len": SEQ}
    tokens = np.array(m.encode("Hi there!"))
    # BOS, then one byte-fallback token (byte + 3) per byte (no " " piece,
    # so no dummy prefix).
    assert list(tokens) == [1] + [b + 3 for b in b"Hi there!"]
    logits = m(tokens)
    assert logits.shape == (len(tokens), VOCAB) and logits.dtype == np.float32
    np.testing.assert_allclose(logits, reference_logits(w, tokens), atol=2e-5)


def test_gpu_path_on_cpu_matches_numpy(model_dir):
    """target="cuda-on-cpu": the GPU path's launches as CPU loops."""
    d, w = model_dir
    m = mxc.compile(str(d / "model.bin"), target="cuda-on-cpu")
    tokens = np.array(m.encode("Hi there!"))
    np.testing.assert_allclose(m(tokens), reference_logits(w, tokens),
                               atol=2e-5)
    m.reset()
    decoded = np.concatenate([m.decode(np.array([t])) for t in tokens])
    np.testing.assert_allclose(decoded, reference_logits(w, tokens),
                               atol=2e-5)


def test_decode_with_cache_equals_prefill(model_dir):
    d, _ = model_dir
    m = mxc.compile(str(d / "model.bin"), recipe="w4")
    tokens = np.array(m.encode("Hi there!"))
    prefill = m(tokens)
    # One token per call, then the first half at once and the rest singly.
    rows = [m.decode(tokens[i:i + 1]) for i in range(len(tokens))]
    np.testing.assert_array_equal(np.concatenate(rows), prefill)
    assert m.position == len(tokens)
    m.reset()
    half = len(tokens) // 2
    rows = [m.decode(tokens[:half])] + [m.decode(tokens[i:i + 1])
                                        for i in range(half, len(tokens))]
    np.testing.assert_array_equal(np.concatenate(rows), prefill)
    # Several tokens at once after others (mxc-run --interactive's turns).
    m.reset()
    rows = [m.decode(tokens[:2]), m.decode(tokens[2:])]
    np.testing.assert_array_equal(np.concatenate(rows), prefill)
    with pytest.raises(RuntimeError, match="past the model's sequence length"):
        m.decode(np.ones(SEQ, np.int64))


def test_perplexity_is_exp_mean_nll(model_dir):
    d, _ = model_dir
    m = mxc.compile(str(d / "model.bin"), recipe="w8")
    text = (d / "text.txt").read_text()
    ids = m.encode(text, bos=False)
    # Windows of SEQ - 1 text tokens after a BOS; every next token scored.
    nll, count = 0.0, 0
    for start in range(0, len(ids), SEQ - 1):
        window = np.array([1] + ids[start:start + SEQ - 1])
        logits = m(window).astype(np.float64)
        for i in range(len(window) - 1):
            row = logits[i]
            top = row.max()
            nll += top + math.log(np.exp(row - top).sum()) - row[window[i + 1]]
            count += 1
    assert m.perplexity(text) == pytest.approx(math.exp(nll / count), rel=1e-9)
    assert m.perplexity(text, max_windows=1) != m.perplexity(text)


def test_recipe_quantizes_and_reports(model_dir):
    d, w = model_dir
    calibration = str(d / "text.txt")
    m = mxc.compile(str(d / "model.bin"), recipe="w4a8-smooth-gptq",
                    calibration=calibration)
    assert m.recipe.startswith("weights=mxfp4,method=gptq,smooth=0.5,")
    errors = m.local_errors
    assert [e["name"] for e in errors][:2] == ["layers.0.wq", "layers.0.wk"]
    assert errors[-1]["name"] == "classifier"
    for e in errors:
        # MXFP4: about 4.25 bits per weight, well under 30 dB; GPTQ beats RTN
        # on the calibration rows.
        assert 5 < e["rtn_weight_sqnr_db"] < 30
        assert e["relative_output_error"] < e["rtn_relative_output_error"]
    tokens = np.array(m.encode("Hi"))
    diff = np.abs(m(tokens) - reference_logits(w, tokens)).max()
    assert 1e-3 < diff < 10


def test_tuning_moves_toward_the_float_model(model_dir):
    # Global tuning distills the quantized model toward the float one: on
    # the calibration text, the tuned model's distributions are closer to
    # numpy's float model than plain RTN's.
    d, w = model_dir
    calibration = str(d / "text.txt")
    plain = mxc.compile(str(d / "model.bin"), recipe="w4",
                        calibration=calibration)
    tuned = mxc.compile(str(d / "model.bin"),
                        recipe="w4,tune=8,tune-lr=0.003",
                        calibration=calibration)
    assert tuned.recipe.endswith(",tune=8,tune-lr=0.003,tune-damping=0.001")
    tokens = np.array(plain.encode((d / "text.txt").read_text()))[:SEQ]

    def log_softmax(z):
        z = z.astype(np.float64)
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    reference = log_softmax(reference_logits(w, tokens))

    def kl(model):
        logq = log_softmax(model(tokens))
        return (np.exp(reference) * (reference - logq)).sum(axis=1).mean()

    assert kl(tuned) < 0.9 * kl(plain)


def test_save_and_load(model_dir, tmp_path):
    d, _ = model_dir
    m = mxc.compile(str(d / "model.bin"), recipe="w6")
    m.save(str(tmp_path / "m.mxc"))
    loaded = mxc.load(str(tmp_path / "m.mxc"))
    assert loaded.recipe == m.recipe and loaded.config == m.config
    tokens = np.array(m.encode("Hello"))
    np.testing.assert_array_equal(loaded(tokens), m(tokens))
    assert loaded.generate("Hello", steps=5) == m.generate("Hello", steps=5)
    # A failed save raises, names the file, and keeps the model saved before.
    if os.path.exists("/dev/full"):
        with pytest.raises(RuntimeError, match="cannot write '/dev/full'"):
            m.save("/dev/full")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub").chmod(0o500)
    if not os.access(str(tmp_path / "sub"), os.W_OK):  # not as root
        with pytest.raises(RuntimeError, match="cannot write"):
            m.save(str(tmp_path / "sub" / "m.mxc"))


def test_errors(model_dir, tmp_path):
    d, _ = model_dir
    path = str(d / "model.bin")
    with pytest.raises(RuntimeError, match="unknown preset 'w3'"):
        mxc.compile(path, recipe="w3")
    with pytest.raises(ValueError, match="needs calibration statistics"):
        mxc.compile(path, recipe="w4-gptq")
    with pytest.raises(ValueError, match="target 'cuda' makes a GPU binary"):
        mxc.compile(path, target="cuda")
    with pytest.raises(ValueError, match="unknown target 'tpu'"):
        mxc.compile(path, target="tpu")
    with pytest.raises(RuntimeError, match="cannot open checkpoint"):
        mxc.compile(str(tmp_path / "missing.bin"))
    m = mxc.compile(path)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        m(np.array([1, VOCAB]))
    with pytest.raises(ValueError, match="token ids must hold integers"):
        m(np.array([1.0, 2.5]))
    with pytest.raises(ValueError, match="1 to seq_len"):
        m(np.ones(SEQ + 1, np.int64))
    (tmp_path / "bad.mxc").write_bytes(b"ML\xefR" + b"\0" * 10)
    with pytest.raises(RuntimeError, match="cannot read the compiled model"):
        mxc.load(str(tmp_path / "bad.mxc"))


def test_generate_sampling_options(model_dir):
    d, _ = model_dir
    m = mxc.compile(str(d / "model.bin"))
    greedy = m.generate("Hi", steps=6)
    # top_k=1 is greedy at any temperature; a fixed seed repeats itself.
    assert m.generate("Hi", steps=6, temperature=2.0, top_k=1) == greedy
    a = m.generate("Hi", steps=6, temperature=1.5, seed=5)
    assert m.generate("Hi", steps=6, temperature=1.5, seed=5) == a
    with pytest.raises(ValueError, match=r"top-p must be in \(0, 1\]"):
        m.generate("Hi", temperature=1.0, top_p=0.0)
    with pytest.raises(ValueError, match="steps must be >= 0"):
        m.generate("Hi", steps=-1)
