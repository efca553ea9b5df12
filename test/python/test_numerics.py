"""mxc.numerics: the numerics library on numpy arrays."""

import math

import numpy as np
import pytest

from mxc import numerics as mx


@pytest.mark.parametrize("fmt", mx.FORMATS)
@pytest.mark.parametrize("rounding", ["even", "away"])
def test_round_trips_are_exact(fmt, rounding):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((3, 5, 172)) * 4).astype(np.float32)
    q = mx.quantize(x, fmt, rounding=rounding)
    assert q.shape == [3, 5, 172]
    y = mx.dequantize(q)
    assert y.dtype == np.float32 and y.shape == x.shape
    # Dequantized values are representable: quantizing them again is exact.
    again = mx.quantize(y, fmt, rounding=rounding)
    np.testing.assert_array_equal(again.data, q.data)
    np.testing.assert_array_equal(again.scales, q.scales)
    np.testing.assert_array_equal(mx.dequantize(again), y)
    # Storage round trip.
    back = mx.MXArray.from_storage(q.data, q.scales, q.shape, fmt)
    np.testing.assert_array_equal(mx.dequantize(back), y)
    # A partial last block: 172 = 5 * 32 + 12 columns, 6 scales per row.
    assert q.scales.shape == (3, 5, 6)


def test_ocp_golden_values():
    # microxcaling's E4M3 vector (block 8): 485 -> 448; 400 -> 416 with ties
    # away, 384 with ties to even.
    x = np.array([485, 475, 400, -485, -475, -450, 2**-6, -2**-6], np.float32)
    away = mx.dequantize(mx.quantize(x, "mxfp8_e4m3", block=8, rounding="away"))
    even = mx.dequantize(mx.quantize(x, "mxfp8_e4m3", block=8))
    assert away.tolist() == [448, 448, 416, -448, -448, -448, 2**-6, -2**-6]
    assert even.tolist() == [448, 448, 384, -448, -448, -448, 2**-6, -2**-6]
    # A NaN makes the whole block NaN (scale 0xFF).
    q = mx.quantize(np.array([np.nan, 1, 2, 3], np.float32), "mxfp4", block=4)
    assert q.scales.tolist() == [255]
    assert np.isnan(mx.dequantize(q)).all()


def test_encode_decode_pack():
    # MLIR's f4E2M1FN codes.
    codes = mx.encode(np.array([0.5, 6, 1e6, -3.14]), "mxfp4")
    assert codes.tolist() == [1, 7, 7, 13]
    assert mx.decode(codes, "mxfp4").tolist() == [0.5, 6, 6, -3]
    packed = mx.pack(np.array([1, 2, 3, 4], np.uint8), "mxfp4")
    assert packed.tolist() == [0x21, 0x43]
    six = mx.pack(np.array([0x3F, 1, 2, 3], np.uint8), "mxfp6_e2m3")
    assert six.tolist() == [0x7F, 0x20, 0x0C]
    assert mx.unpack(six, "mxfp6_e2m3", 4).tolist() == [0x3F, 1, 2, 3]


def test_errors_are_python_exceptions():
    x = np.ones((2, 32), np.float32)
    with pytest.raises(ValueError, match="unknown MX format 'mxfp5'"):
        mx.quantize(x, "mxfp5")
    with pytest.raises(ValueError, match="block size 3 is invalid for mxfp4"):
        mx.quantize(x, "mxfp4", block=3)
    with pytest.raises(ValueError, match="rounding must be"):
        mx.quantize(x, "mxfp4", rounding="down")
    with pytest.raises(ValueError, match="not enough packed bytes"):
        mx.unpack(np.zeros(1, np.uint8), "mxfp8_e4m3", 2)


def test_exaq_softmax_and_clip():
    # The worked example of mxc.softmax.
    y = mx.exaq_softmax(np.array([[0, -0.9, -2.2, -7]], np.float32), 2, -3.0)
    total = 1 + math.exp(-1) + math.exp(-2) + math.exp(-3)
    np.testing.assert_allclose(
        y[0], [1 / total, math.exp(-1) / total, math.exp(-2) / total,
               math.exp(-3) / total], rtol=1e-6)
    clip2, err2 = mx.optimal_softmax_clip(2, mean=-4.0, std=3.0)
    clip4, _ = mx.optimal_softmax_clip(4, mean=-4.0, std=3.0)
    assert clip4 < clip2 < 0 and err2 > 0
    # A point mass at -3 with 1 bit: the only error-free clip is -3.
    clip, err = mx.optimal_softmax_clip(1, samples=np.full(16, -3, np.float32))
    assert abs(clip + 3) < 1e-6 and err < 1e-12
    with pytest.raises(ValueError):
        mx.optimal_softmax_clip(2)
    # A zero floor: -7 rounds to code 0, which stands for 0.
    z = mx.exaq_softmax(np.array([[0, -0.9, -2.2, -7]], np.float32), 2, -3.0,
                        zero_floor=True)
    total = 1 + math.exp(-1) + math.exp(-2)
    np.testing.assert_allclose(
        z[0], [1 / total, math.exp(-1) / total, math.exp(-2) / total, 0],
        rtol=1e-6)
    # Samples 0, -3, -3, -5 with 2 bits and a zero floor: clip -4.5 puts the
    # level clip + step = 2 clip / 3 on -3 and drops -5 (error e^-10); the
    # search (down to 1.25 x -5) has no other clip that keeps -3 exact.
    clip, err = mx.optimal_softmax_clip(
        2, samples=np.array([0, -3, -3, -5], np.float32), zero_floor=True)
    assert abs(clip + 4.5) < 1e-3 and abs(err - math.exp(-10) / 4) < 1e-9, \
        (clip, err)
    # A fitted table (2 bits, clip -3, step 1): codes 3, 3, 2, 2, 1 for the
    # samples below; each code's mean of e^d over the top code's.
    d = np.array([0, -0.2, -1.1, -0.9, -2.2], np.float32)
    top = (1 + math.exp(-0.2)) / 2
    t = mx.fit_exaq_table(d, 2, -3.0, zero_floor=True)
    np.testing.assert_allclose(
        t, [0, math.exp(-2.2) / top,
            (math.exp(-1.1) + math.exp(-0.9)) / 2 / top, 1], rtol=1e-6)
    # The softmax with a table: y = table[code] / sum.
    y = mx.exaq_softmax(np.array([[0, -0.9, -2.2, -7]], np.float32), 2, -3.0,
                        zero_floor=True,
                        table=np.array([0, 0.1, 0.4, 1], np.float32))
    np.testing.assert_allclose(y[0], np.array([1, 0.4, 0.1, 0]) / 1.5,
                               rtol=1e-6)


def test_smoothquant_and_gptq():
    s = mx.smoothquant_scales(np.array([4, 1], np.float32),
                              [np.array([[1, 2], [-0.5, 16]], np.float32),
                               np.array([[0.25, -3]], np.float32)])
    assert s.tolist() == [2.0, 0.25]

    rng = np.random.default_rng(3)
    z = rng.standard_normal((256, 6))
    a = rng.standard_normal((6, 96))
    x = (z @ a + 0.05 * rng.standard_normal((256, 96))).astype(np.float32)
    w = rng.standard_normal((24, 96)).astype(np.float32)
    h = mx.hessian(x)
    np.testing.assert_allclose(h, 2 / 256 * x.T.astype(np.float64) @ x,
                               rtol=1e-5, atol=1e-5)
    q, w_gptq = mx.gptq(w, h, "mxfp4")
    _, w_rtn = mx.rtn(w, "mxfp4")
    np.testing.assert_array_equal(mx.dequantize(q), w_gptq.astype(np.float32))
    assert mx.output_mse(w, w_gptq, h) < 0.5 * mx.output_mse(w, w_rtn, h)
    assert mx.weight_sqnr(w, w_rtn) > 0
    # H = I: GPTQ is RTN.
    q_i, w_i = mx.gptq(w, np.eye(96), "mxint8")
    q_r, w_r = mx.rtn(w, "mxint8")
    np.testing.assert_array_equal(q_i.data, q_r.data)
    np.testing.assert_array_equal(w_i, w_r)


def _numpy_attention(q, k, v, visible, weights):
    """Masked GQA attention in float64 with numpy; `weights(s, mask)` maps
    one row's scores to unnormalised weights."""
    heads, queries, _ = q.shape
    group = heads // k.shape[0]
    out = np.zeros((heads, queries, v.shape[2]))
    for h in range(heads):
        g = h // group
        for i in range(queries):
            mask = visible[i]
            if not mask.any():
                continue
            w = weights(h, g, i, mask)
            out[h, i] = w @ v[g].astype(np.float64) / w.sum()
    return out


def test_attention_reference():
    rng = np.random.default_rng(3)
    q = rng.standard_normal((4, 3, 8)).astype(np.float32)
    k = rng.standard_normal((2, 6, 8)).astype(np.float32)
    v = rng.standard_normal((2, 6, 5)).astype(np.float32)
    scale = 1 / math.sqrt(8)
    # Row i sits at position 3 + i; spans: row 0 [1, 3), row 1 empty (sink 1
    # still visible), row 2 [4, 9) (cut at its position 5).
    spans = np.array([[[1, 3]], [[2, 2]], [[4, 9]]], np.int32)
    visible = np.zeros((3, 6), bool)
    visible[0, 1:3] = visible[1, 0] = visible[2, 4:6] = True
    visible[:, 0] = True  # sink = 1

    def exact(h, g, i, mask):
        s = (q[h, i].astype(np.float64) @ k[g].T.astype(np.float64)) * scale
        return np.where(mask, np.exp(s - s[mask].max()), 0.0)

    got = mx.attention(q, k, v, spans=spans, sink=1)
    np.testing.assert_allclose(got, _numpy_attention(q, k, v, visible, exact),
                               rtol=1e-12, atol=1e-12)

    # EXAQ, 2 bits, clip -3: codes from the f32 scores (products summed in
    # order, then times the f32 scale), weights exp(clip + code * step).
    bits, clip = 2, -3.0
    step = -clip / (2**bits - 1)

    def exaq(h, g, i, mask):
        s = np.empty(k.shape[1], np.float32)
        for j in range(k.shape[1]):
            acc = np.float32(0)
            for d in range(q.shape[2]):
                acc = np.float32(acc + q[h, i, d] * k[g, j, d])
            s[j] = np.float32(acc * np.float32(scale))
        m = s[mask].max()
        t = np.float32(np.float32(s - m) - np.float32(clip)) * np.float32(1 / step)
        codes = np.floor(np.clip(t, 0, 2**bits - 1) + 0.5)
        lut = np.exp(clip + codes.astype(np.float64) * step).astype(np.float32)
        lut[codes == 2**bits - 1] = 1
        return np.where(mask, lut.astype(np.float64), 0.0)

    causal = np.tril(np.ones((3, 6), bool), 3)
    got = mx.attention(q, k, v, bits=bits, clip=clip)
    np.testing.assert_allclose(got, _numpy_attention(q, k, v, causal, exaq),
                               rtol=1e-12, atol=1e-12)
    assert not np.allclose(got, mx.attention(q, k, v), atol=1e-3)

    with pytest.raises(ValueError):
        mx.attention(q, k[:, :, :4], v)
    with pytest.raises(ValueError):
        mx.attention(q, k, v, spans=spans[:, :, :1])
    with pytest.raises(ValueError):
        mx.attention(q, k, v, bits=9)


def test_arguments_are_never_silently_changed():
    # float64 values without an exact float32 would be rounded twice.
    with pytest.raises(ValueError, match="round it to float32 and then round it again"):
        mx.quantize(np.array([0.1] * 32), "mxfp4")
    # float64 values that float32 holds exactly are the same values.
    exact = mx.quantize(np.array([485.0, 475.0, 400.0, -485.0]), "mxfp8_e4m3", block=4)
    np.testing.assert_array_equal(mx.dequantize(exact), [448, 448, 384, -448])
    # Codes outside the format, bytes outside a byte, float codes.
    with pytest.raises(ValueError, match=r"code 16 is outside \[0, 16\)"):
        mx.decode(np.array([1, 16]), "mxfp4")
    with pytest.raises(ValueError, match=r"code 300 is outside \[0, 256\)"):
        mx.pack([300], "mxfp8_e4m3")
    with pytest.raises(ValueError, match="must hold integers"):
        mx.decode(np.array([1.5]), "mxfp4")
    with pytest.raises(ValueError, match=r"scale byte 256 is outside \[0, 256\)"):
        mx.MXArray.from_storage(np.zeros(16, np.uint8), [256], [32], "mxfp4")


def test_nan_inputs_stay_contained():
    # A NaN calibration sample is left out of the clip search.
    clean = mx.optimal_softmax_clip(2, samples=np.array([-1, -2.5, -0.5], np.float32))
    with_nan = mx.optimal_softmax_clip(
        2, samples=np.array([np.nan, -1, -2.5, np.nan, -0.5], np.float32))
    assert with_nan == clean
    # A NaN weight makes its own block NaN under GPTQ, as under RTN.
    w = np.random.default_rng(5).standard_normal((2, 96)).astype(np.float32)
    w[0, 40] = np.nan
    q, _ = mx.gptq(w, np.eye(96), "mxfp4")
    np.testing.assert_array_equal(q.scales, mx.quantize(w, "mxfp4").scales)
    assert q.scales[0, 1] == 255 and q.scales[0, 2] != 255
