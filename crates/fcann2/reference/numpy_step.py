"""Microseconds per training step of fcann2's loop written in NumPy: the lab
setting N = 60 points, D = 2, H = 5 hidden units, C = 2 classes, δ = 0.05,
λ = 1e-3. Forward, softmax, backward and update, as the course writes them.
Prints one JSON line: the best of three timings of STEPS steps each.

    python numpy_step.py --steps 20000
"""
import argparse
import json
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20000)
    a = ap.parse_args()
    rng = np.random.default_rng(100)
    N, D, H, C, delta, lam = 60, 2, 5, 2, 0.05, 1e-3
    X = rng.uniform(0, 10, size=(N, D))
    Y_ = rng.integers(0, C, size=N)
    Yoh = np.eye(C)[Y_]
    W1 = rng.standard_normal((D, H))
    b1 = np.zeros(H)
    W2 = rng.standard_normal((H, C))
    b2 = np.zeros(C)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            s1 = X @ W1 + b1
            h1 = np.maximum(s1, 0)
            s2 = h1 @ W2 + b2
            e = np.exp(s2 - s2.max(axis=1, keepdims=True))
            P = e / e.sum(axis=1, keepdims=True)
            Gs2 = (P - Yoh) / N
            gW2 = h1.T @ Gs2 + lam * W2
            gb2 = Gs2.sum(axis=0)
            Gh1 = Gs2 @ W2.T
            Gs1 = Gh1 * (s1 > 0)
            gW1 = X.T @ Gs1 + lam * W1
            gb1 = Gs1.sum(axis=0)
            W1 -= delta * gW1
            b1 -= delta * gb1
            W2 -= delta * gW2
            b2 -= delta * gb2
        best = min(best, (time.perf_counter() - t0) * 1e6 / a.steps)
    print(json.dumps({"us_per_iter": best, "steps": a.steps, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
