"""Microseconds per training step of pt_deep's reference setting in
PyTorch-Python, written as the course's PTDeep is: weight matrices W (in x
out) and biases b as parameters, h = relu(h @ W + b) between layers, loss =
mean cross-entropy on one-hot rows + lambda/2 * sum of squared weights, SGD.
60 points in 2-D, 2 classes, layers [2,10,10,2], delta 0.1, lambda 1e-4.
Step times do not depend on the data's values, so the points are drawn here
(standard normal) rather than by the lab's GMM. Prints one JSON line.

    python step_bench.py --steps 5000 --threads 1
"""
import argparse
import json
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--layers", default="2,10,10,2")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(100)
    sizes = [int(s) for s in a.layers.split(",")]
    x = torch.randn(60, sizes[0])
    y = torch.randint(0, sizes[-1], (60,))
    yoh = torch.nn.functional.one_hot(y, sizes[-1]).float()
    ws = [torch.nn.Parameter(torch.randn(i, o)) for i, o in zip(sizes, sizes[1:])]
    bs = [torch.nn.Parameter(torch.zeros(o)) for o in sizes[1:]]
    opt = torch.optim.SGD(ws + bs, lr=0.1)
    lam = 1e-4

    def step():
        h = x
        for k, (w, b) in enumerate(zip(ws, bs)):
            h = torch.addmm(b, h, w)
            if k < len(ws) - 1:
                h = torch.relu(h)
        nll = -(yoh * torch.log_softmax(h, dim=1)).sum(dim=1).mean()
        loss = nll + lam / 2 * sum((w * w).sum() for w in ws)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    for _ in range(200):
        step()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = step()
        loss.item()
        best = min(best, (time.perf_counter() - t0) * 1e6 / a.steps)
    print(json.dumps({"us_per_iter": best, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
