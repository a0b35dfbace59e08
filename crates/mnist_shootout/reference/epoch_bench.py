"""The PyTorch-Python side of `mnist_shootout --bench`.

The same loop as the Rust side: [784,100,10] with ReLU, Adam (lr 1e-3),
batch 100, all 60,000 training images kept on the device, a fresh random
permutation every epoch with each batch gathered by index, the epoch's loss
summed on the device and read back once per epoch.

It reads MNIST's IDX files with the standard library only (no numpy), raw or
gzipped, from --mnist-dir. One warm-up epoch, then --epochs timed epochs.
Prints one JSON object: torch version, threads, device, seconds per timed
epoch and the mean training loss of every epoch.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def find(folder, name):
    dotted = name.replace("-idx", ".idx", 1)
    for base in (name, dotted):
        for cand in (base, base + ".gz"):
            path = os.path.join(folder, cand)
            if os.path.isfile(path):
                return path
    sys.exit(f"MNIST file not found: {os.path.join(folder, name)}")


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def images(folder):
    data = read(find(folder, "train-images-idx3-ubyte"))
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x803 or len(data) != 16 + n * rows * cols:
        sys.exit("train-images-idx3-ubyte is not a complete IDX image file")
    pixels = torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8)
    return pixels.view(n, rows * cols).float().div_(255.0)


def labels(folder):
    data = read(find(folder, "train-labels-idx1-ubyte"))
    magic, n = struct.unpack(">II", data[:8])
    if magic != 0x801 or len(data) != 8 + n:
        sys.exit("train-labels-idx1-ubyte is not a complete IDX label file")
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist-dir", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=100)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    x = images(args.mnist_dir).to(dev)
    y = labels(args.mnist_dir).to(dev)
    n = x.shape[0]
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)
    ).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch():
        perm = torch.randperm(n, device=dev)
        total = torch.zeros((), device=dev)
        for start in range(0, n, 100):
            idx = perm[start : start + 100]
            loss = F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * idx.numel()
        return total.item() / n  # the one host read of the epoch

    losses = [epoch()]  # warm-up
    seconds = []
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        losses.append(epoch())
        seconds.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "device": str(dev),
                "seconds": seconds,
                "epoch_loss": losses,
            }
        )
    )


if __name__ == "__main__":
    main()
