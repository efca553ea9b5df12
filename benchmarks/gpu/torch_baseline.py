"""The PyTorch peers of mxc's GPU benchmarks, measured in the same run on
the same device: cuBLAS fp16 GEMV, cuBLAS bf16 GEMM (prefill, 512 rows),
torch.softmax, scaled_dot_product_attention (decode). L2 is flushed before each timed run; the median of 20 runs."""

import statistics

import torch


def median_ms(fn, flush, runs=20):
    times = []
    for _ in range(runs):
        flush.zero_()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    flush = torch.empty(max(2 * props.L2_cache_size, 1 << 26) // 4, dtype=torch.float32, device=dev)
    print(f"# PyTorch {torch.__version__} peers on {props.name}\n")
    src = torch.empty(1 << 28, dtype=torch.float32, device=dev)
    dst = torch.empty_like(src)
    ms = median_ms(lambda: dst.copy_(src), flush, 10)
    copy = 2 * src.numel() * 4 / ms / 1e6
    print(f"device-to-device copy (tensor.copy_): {copy:.0f} GB/s (bytes read + written)\n")
    print("| GEMV fp16 (cuBLAS), batch 1 | time (us) | GB/s | of copy |")
    print("|-----------------------------|-----------|------|---------|")
    for n, k in [(4096, 4096), (14336, 4096)]:
        w = torch.randn(n, k, dtype=torch.float16, device=dev)
        x = torch.randn(k, 1, dtype=torch.float16, device=dev)
        ms = median_ms(lambda: torch.matmul(w, x), flush)
        gbs = (w.numel() * 2 + (k + n) * 2) / ms / 1e6
        print(f"| {n} x {k} | {ms * 1e3:.1f} | {gbs:.0f} | {100 * gbs / copy:.0f}% |")
    print("\n| GEMM bf16 (cuBLAS), M = 512 | time (us) | TFLOP/s |")
    print("|----------------------------|-----------|---------|")
    for n, k in [(4096, 4096), (14336, 4096)]:
        w = torch.randn(n, k, dtype=torch.bfloat16, device=dev)
        x = torch.randn(512, k, dtype=torch.bfloat16, device=dev)
        ms = median_ms(lambda: torch.matmul(x, w.t()), flush)
        print(f"| {n} x {k} | {ms * 1e3:.1f} | {2 * 512 * n * k / ms / 1e9:.1f} |")
    x = torch.randn(4096, 4096, dtype=torch.float32, device=dev) * 3
    ms = median_ms(lambda: torch.softmax(x, dim=-1), flush)
    print(f"\ntorch.softmax, 4096 x 4096 f32: {ms * 1e3:.1f} us")
    print("\n| SDPA decode (1 query, 32 heads, d 128, fp16) | keys | time (us) |")
    print("|---------------------------------------------|------|-----------|")
    for keys in [1024, 4096, 16384]:
        q = torch.randn(1, 32, 1, 128, dtype=torch.float16, device=dev)
        kv = torch.randn(1, 32, keys, 128, dtype=torch.float16, device=dev)
        ms = median_ms(lambda: torch.nn.functional.scaled_dot_product_attention(q, kv, kv), flush)
        print(f"| dense | {keys} | {ms * 1e3:.1f} |")


if __name__ == "__main__":
    main()
