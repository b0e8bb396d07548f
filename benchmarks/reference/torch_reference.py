"""PyTorch eager reference for `deno task bench --compare-torch`.

The same models as lmo-bench's workloads, trained with AdamW or with Muon (Keller Jordan's muon.py: Nesterov
momentum 0.95, 5 Newton-Schulz quintic steps, sqrt(max(1, rows/cols)) scale, AdamW on the other parameters,
as MuonWithAuxAdam; conv kernels are flattened to [out, in*k*k] for Newton-Schulz).

- nanogpt-*: GPT-2 flavour (learned positions, LayerNorm with gains, separate q/k/v projections, tanh-GELU
  MLP of width 4d, tied embedding and head; biases in the linear layers and LayerNorms only where the preset
  has them: nanogpt-124m, GPT-2's vocabulary of 50257); `--width` and `--heads` override the preset (the
  scaling table), `--batch` its batch (nanogpt-124m at batch 2 and 8).
- cnn-*: airbench's CifarNet as lmo-bench's cnn.ts builds it (conv 2x2 whitening with a bias -> GELU; three
  groups of conv 3x3 -> MaxPool 2 -> BatchNorm (bias only) -> GELU -> conv 3x3 -> BatchNorm -> GELU; global
  max; head without bias times 1/width) on 1x28x28 images.

Prints one JSON object per optimizer with step times (min and median, ms), the forward+backward share,
items (tokens or images) per second, the cores the step kept busy (process CPU time over wall time), how
OpenBLAS threads and the peak resident memory of the process.

`--threads T` holds for OpenBLAS too: torch.set_num_threads sets only the OpenMP pool of ATen, and the
pthreads build of OpenBLAS (libopenblas0-pthread) keeps one thread per core of its own beside it, so that
"1 thread" ran its matrix products on every core and 2 threads oversubscribed them (2-3x slower). PyTorch
at its best on several threads needs the OpenMP build, whose products share ATen's pool; `deno task
bench` puts it first on LD_LIBRARY_PATH where it is installed. Run with Debian's python3-torch and
libopenblas0-openmp (without an OpenBLAS its BLAS is about 15x slower):
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
    /usr/bin/python3 benchmarks/reference/torch_reference.py --workload nanogpt-tiny --threads 2 --steps 30
"""
import argparse
import ctypes
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def layer_norm(d, bias=False):
    """LayerNorm with a gain, and a bias only when asked (torch 1.13 has no bias=False)."""
    m = nn.LayerNorm(d)
    if not bias:
        m.register_parameter("bias", None)
    return m


class Block(nn.Module):
    def __init__(self, d, heads, bias=False):
        super().__init__()
        self.heads = heads
        self.ln_1 = layer_norm(d, bias)
        self.c_q = nn.Linear(d, d, bias=bias)
        self.c_k = nn.Linear(d, d, bias=bias)
        self.c_v = nn.Linear(d, d, bias=bias)
        self.c_proj = nn.Linear(d, d, bias=bias)
        self.ln_2 = layer_norm(d, bias)
        self.c_fc = nn.Linear(d, 4 * d, bias=bias)
        self.mlp_proj = nn.Linear(4 * d, d, bias=bias)

    def forward(self, x):
        b, t, d = x.shape
        h = self.ln_1(x)
        split = lambda z: z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.c_q(h)), split(self.c_k(h)), split(self.c_v(h))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab=65, layers=4, heads=4, d=128, ctx=64, bias=False):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList([Block(d, heads, bias) for _ in range(layers)])
        self.ln_f = layer_norm(d, bias)
        # GPT-2 init, as lmo-bench's gpt2 flavour: N(0, 0.02^2), residual projections N(0, (0.02/sqrt(2L))^2).
        for name, p in self.named_parameters():
            if p.ndim == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith(("c_proj.weight", "mlp_proj.weight")) else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, idx, targets):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


class CifarNet(nn.Module):
    def __init__(self, widths, channels=1, classes=10):
        super().__init__()
        w0 = 8 * channels
        self.whiten = nn.Conv2d(channels, w0, 2, bias=True)
        self.whiten.weight.requires_grad_(False)
        layers, c_in = [], w0
        for c_out in widths:
            layers.append(nn.ModuleDict({
                "conv1": nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                "norm1": nn.BatchNorm2d(c_out, eps=1e-12),
                "conv2": nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
                "norm2": nn.BatchNorm2d(c_out, eps=1e-12),
            }))
            layers[-1]["norm1"].weight.requires_grad_(False)
            layers[-1]["norm2"].weight.requires_grad_(False)
            c_in = c_out
        self.layers = nn.ModuleList(layers)
        self.head = nn.Linear(c_in, classes, bias=False)
        self.scale = 1 / c_in

    def forward(self, x, targets):
        h = F.gelu(self.whiten(x), approximate="tanh")
        for g in self.layers:
            h = F.gelu(g["norm1"](F.max_pool2d(g["conv1"](h), 2)), approximate="tanh")
            h = F.gelu(g["norm2"](g["conv2"](h)), approximate="tanh")
        return F.cross_entropy(self.head(h.amax(dim=(2, 3))) * self.scale, targets)


GPT_PRESETS = {
    "nanogpt-tiny": dict(layers=4, heads=4, d=128, ctx=64, batch=12),
    "nanogpt-small": dict(layers=6, heads=6, d=384, ctx=256, batch=32),
    "nanogpt-124m": dict(layers=12, heads=12, d=768, ctx=1024, batch=64, vocab=50257, bias=True),
}
CNN_PRESETS = {"cnn-tiny": dict(widths=(8, 16, 16), batch=64), "cnn-small": dict(widths=(32, 64, 64), batch=256)}


def make_workload(name, width=None, heads=None, batch=None):
    """(model, inputs, targets, items per step) of a preset, with a fixed random batch."""
    if name in GPT_PRESETS:
        c = dict(GPT_PRESETS[name])
        c["d"] = width or c["d"]
        c["heads"] = heads or c["heads"]
        c["batch"] = batch or c["batch"]
        vocab = c.get("vocab", 65)
        model = GPT(vocab=vocab, layers=c["layers"], heads=c["heads"], d=c["d"], ctx=c["ctx"], bias=c.get("bias", False))
        x = torch.randint(0, vocab, (c["batch"], c["ctx"]))
        y = torch.randint(0, vocab, (c["batch"], c["ctx"]))
        return model, x, y, c["batch"] * c["ctx"]
    if name in CNN_PRESETS:
        c = dict(CNN_PRESETS[name])
        c["batch"] = batch or c["batch"]
        model = CifarNet(c["widths"])
        return model, torch.randn(c["batch"], 1, 28, 28), torch.randint(0, 10, (c["batch"],)), c["batch"]
    raise SystemExit(f"unknown workload {name}; valid: {', '.join([*GPT_PRESETS, *CNN_PRESETS])}")


def newton_schulz5(g, steps=5, eps=1e-7):
    a, b, c = 3.4445, -4.7750, 2.0315
    x = g / (g.norm() + eps)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    for _ in range(steps):
        s = x @ x.T
        x = a * x + (b * s + c * s @ s) @ x
    return x.T if tall else x


class Muon(torch.optim.Optimizer):
    """Keller Jordan's Muon update (muon.py@00ba60d) on 2-D hidden matrices, in float32 on the CPU."""

    def __init__(self, params, lr=0.02, momentum=0.95):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                buf = self.state[p].setdefault("momentum_buffer", torch.zeros_like(p))
                buf.lerp_(p.grad, 1 - group["momentum"])
                u = p.grad.lerp(buf, group["momentum"])
                m = u.reshape(len(u), -1)
                update = newton_schulz5(m) * max(1, m.shape[0] / m.shape[1]) ** 0.5
                p.add_(update.view_as(p), alpha=-group["lr"])


def make_optimizers(model, name):
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if name == "adamw":
        return [torch.optim.AdamW([p for _, p in params], lr=1e-3, betas=(0.9, 0.999), weight_decay=0.1)]
    is_hidden = lambda n, p: (p.ndim == 2 and n.startswith("h.")) or (p.ndim == 4 and n.startswith("layers."))
    hidden = [p for n, p in params if is_hidden(n, p)]
    rest = [p for n, p in params if not is_hidden(n, p)]
    return [Muon(hidden), torch.optim.AdamW(rest, lr=3e-4, betas=(0.9, 0.95), eps=1e-10, weight_decay=0)]


def bench(workload, name, steps, width, heads, batch):
    torch.manual_seed(0)
    model, x, y, items = make_workload(workload, width, heads, batch)
    opts = make_optimizers(model, name)
    step_ms, fb_ms, cpu_ms = [], [], []
    for i in range(steps + 3):
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = model(x, y)
        for o in opts:
            o.zero_grad(set_to_none=True)
        loss.backward()
        t1 = time.perf_counter()
        for o in opts:
            o.step()
        t2 = time.perf_counter()
        c2 = time.process_time()
        if i >= 3:
            step_ms.append((t2 - t0) * 1e3)
            cpu_ms.append((c2 - c0) * 1e3)
            fb_ms.append((t1 - t0) * 1e3)
    median = statistics.median(step_ms)
    return {
        "engine": "pytorch-eager",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cores": statistics.median(cpu_ms) / median,
        "workload": workload,
        "width": width,
        "batch": batch,
        "optimizer": name,
        "median_ms": median,
        "min_ms": min(step_ms),
        "forward_backward_median_ms": statistics.median(fb_ms),
        "optimizer_share": 1 - statistics.median(fb_ms) / median,
        "tokens_per_s": items / (median / 1e3),
        "final_loss": float(loss),
    }


def openblas_threads(threads):
    """Gives OpenBLAS `threads` threads and returns how it threads and how many it now uses."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")  # the copy torch loaded: same soname
    except OSError:
        return {"blas": "not OpenBLAS", "blas_threads": None}
    lib.openblas_set_num_threads(threads)
    kind = {0: "serial", 1: "pthreads", 2: "openmp"}.get(lib.openblas_get_parallel(), "unknown")
    return {"blas": f"OpenBLAS {kind}", "blas_threads": lib.openblas_get_num_threads()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--optimizers", default="adamw,muon")
    ap.add_argument("--workload", default="nanogpt-tiny")
    ap.add_argument("--width", type=int, help="nanogpt width override (the scaling table)")
    ap.add_argument("--heads", type=int, help="nanogpt heads override")
    ap.add_argument("--batch", type=int, help="batch override (the 124m row: 2 and 8)")
    ap.add_argument("--count-params", action="store_true", help="print the trainable parameter count and exit")
    args = ap.parse_args()
    if args.count_params:
        model = make_workload(args.workload, args.width, args.heads, args.batch)[0]
        print(json.dumps({"workload": args.workload, "params": sum(p.numel() for p in model.parameters() if p.requires_grad)}))
        return
    torch.set_num_threads(args.threads)
    blas = openblas_threads(args.threads)
    for name in args.optimizers.split(","):
        row = {**bench(args.workload, name, args.steps, args.width, args.heads, args.batch), **blas}
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
