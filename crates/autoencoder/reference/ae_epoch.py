"""Seconds per epoch of the Lab 2 autoencoder in PyTorch, the loop the course
writes: a DataLoader over all 60,000 training images (batch 1024, shuffled),
MSE, Adam (lr 1e-3, weight decay 1e-8). With --precision bf16 the forward
pass and the loss run under CPU autocast in bfloat16 (weights and Adam stay
fp32). Reads the raw or gzipped IDX files with the standard library only and
prints one JSON line.

    python ae_epoch.py --mnist-dir data/mnist --epochs 3 --threads 2 --precision fp32
"""
import argparse
import gzip
import json
import os
import struct
import time

import torch
from torch import nn


def read_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803:
            raise SystemExit(f"{path}: not an IDX image file")
        raw = f.read()
    x = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    return x.view(n, rows * cols).float() / 255.0


def find(folder, name):
    for cand in (name, name + ".gz"):
        p = os.path.join(folder, cand)
        if os.path.exists(p):
            return p
    raise SystemExit(f"no {name} in {folder}; run ./dl setup")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist-dir", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = read_images(find(a.mnist_dir, "train-images-idx3-ubyte"))
    enc = nn.Sequential(nn.Linear(784, 1000), nn.ReLU(), nn.Linear(1000, 25), nn.ReLU(), nn.Linear(25, 50))
    dec = nn.Sequential(nn.ReLU(), nn.Linear(50, 1000), nn.ReLU(), nn.Linear(1000, 784))
    model = nn.Sequential(enc, dec)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-8)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x), batch_size=1024, shuffle=True)
    loss_fn = nn.MSELoss()
    times = []
    for epoch in range(a.epochs + 1):  # the first epoch warms up
        t0 = time.perf_counter()
        total = 0.0
        for (xb,) in loader:
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
                loss = loss_fn(model(xb), xb)
            loss.backward()
            opt.step()
            total += loss.item()
        if epoch > 0:
            times.append(time.perf_counter() - t0)
    print(json.dumps({"seconds_per_epoch": times, "best": min(times), "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "precision": a.precision}))


if __name__ == "__main__":
    main()
