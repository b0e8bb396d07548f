"""PyTorch eager reference for `deno task bench --compare-torch`.

The same nanoGPT as lmo-bench's `nanogpt-tiny` (GPT-2 flavour: learned positions, LayerNorm with gains and
no biases, separate q/k/v projections, tanh-GELU MLP of width 4d, tied embedding and head; 4 layers, 4
heads, d 128, context 64, batch 12, vocabulary 65) trained with AdamW or with Muon (Keller Jordan's
muon.py: Nesterov momentum 0.95, 5 Newton-Schulz quintic steps, sqrt(max(1, rows/cols)) scale, AdamW on the
non-matrix parameters, as MuonWithAuxAdam). Prints one JSON object per optimizer with step times (min and
median, ms), the forward+backward share, tokens/s and the peak resident memory of the process.

Run with Debian's python3-torch (plus libopenblas0-pthread, or its BLAS is 15x slower):
    /usr/bin/python3 benchmarks/reference/nanogpt_torch.py --threads 2 --steps 30
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def layer_norm(d):
    """LayerNorm with a gain and no bias (torch 1.13 has no bias=False)."""
    m = nn.LayerNorm(d)
    m.register_parameter("bias", None)
    return m


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = layer_norm(d)
        self.c_q = nn.Linear(d, d, bias=False)
        self.c_k = nn.Linear(d, d, bias=False)
        self.c_v = nn.Linear(d, d, bias=False)
        self.c_proj = nn.Linear(d, d, bias=False)
        self.ln_2 = layer_norm(d)
        self.c_fc = nn.Linear(d, 4 * d, bias=False)
        self.mlp_proj = nn.Linear(4 * d, d, bias=False)

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
    def __init__(self, vocab=65, layers=4, heads=4, d=128, ctx=64):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = layer_norm(d)
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
                update = newton_schulz5(u) * max(1, p.shape[0] / p.shape[1]) ** 0.5
                p.add_(update, alpha=-group["lr"])


def make_optimizers(model, name):
    if name == "adamw":
        return [torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=0.1)]
    hidden = [p for n, p in model.named_parameters() if p.ndim == 2 and n.startswith("h.")]
    rest = [p for n, p in model.named_parameters() if not (p.ndim == 2 and n.startswith("h."))]
    return [Muon(hidden), torch.optim.AdamW(rest, lr=3e-4, betas=(0.9, 0.95), eps=1e-10, weight_decay=0)]


def bench(name, steps, batch, ctx, vocab):
    torch.manual_seed(0)
    model = GPT(vocab=vocab, ctx=ctx)
    opts = make_optimizers(model, name)
    x = torch.randint(0, vocab, (batch, ctx))
    y = torch.randint(0, vocab, (batch, ctx))
    step_ms, fb_ms = [], []
    for i in range(steps + 3):
        t0 = time.perf_counter()
        loss = model(x, y)
        for o in opts:
            o.zero_grad(set_to_none=True)
        loss.backward()
        t1 = time.perf_counter()
        for o in opts:
            o.step()
        t2 = time.perf_counter()
        if i >= 3:
            step_ms.append((t2 - t0) * 1e3)
            fb_ms.append((t1 - t0) * 1e3)
    median = statistics.median(step_ms)
    return {
        "engine": "pytorch-eager",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "workload": "nanogpt-tiny",
        "optimizer": name,
        "median_ms": median,
        "min_ms": min(step_ms),
        "forward_backward_median_ms": statistics.median(fb_ms),
        "optimizer_share": 1 - statistics.median(fb_ms) / median,
        "tokens_per_s": batch * ctx / (median / 1e3),
        "final_loss": float(loss),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--optimizers", default="adamw,muon")
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--vocab", type=int, default=65)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.optimizers.split(","):
        row = bench(name, args.steps, args.batch, args.ctx, args.vocab)
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
