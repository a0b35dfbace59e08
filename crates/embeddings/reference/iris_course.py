"""Reference run of the course's PyTorch code for Lab 3 (label embeddings on Iris).

This script is NOT part of the crate's tests. It re-runs the course notebooks'
code over several seeded train/test splits so that the lab's handout can quote
mean +- std numbers next to the single-split values the course printed.

What it runs (see the lab handout for the discussion):
  part 2  classifier, softmax after fc3 then CrossEntropyLoss ("softmax twice")
  part 3  fixed random label embedding torch.randn(3, 2), MSE regression
  part 4  Gaussian heads (mean, softplus variance), GaussianNLLLoss, AdamW
  part 5  learned table nn.Embedding(3, 2, max_norm=1), init normal_(0, 5),
          target table(y) detached (the course's Variable(...) wrapper)
and variants that change one thing each:
  (a) part 2 with softmax applied once (no softmax layer)
  (b) parts 2, 3, 4 with a ReLU after fc2 as well
  (c) part 2 with both fixes
  (d) part 5 with the target not detached (gradient reaches the table)

How to run: needs torch, scikit-learn and numpy, installed from the ordinary
package registry into a virtual environment outside the repository, e.g.

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch scikit-learn numpy
    /tmp/refvenv/bin/python iris_course.py --seeds 10
"""

import argparse
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

EPOCHS = 1000


class Net(nn.Module):
    """The course network: fc3(fc2(relu(fc1(x)))), optional extras."""

    def __init__(self, out, relu2=False, softmax=False):
        super().__init__()
        self.fc1 = nn.Linear(4, 100)
        self.fc2 = nn.Linear(100, 100)
        self.fc3 = nn.Linear(100, out)
        self.relu2 = relu2
        self.softmax = softmax

    def forward(self, x):
        h = F.relu(self.fc1(x))
        h = self.fc2(h)
        if self.relu2:
            h = F.relu(h)
        h = self.fc3(h)
        if self.softmax:
            h = F.softmax(h, dim=1)
        return h


class GaussNet(nn.Module):
    """Part 4: trunk relu(fc1) -> fc2, mean head and softplus variance head."""

    def __init__(self, relu2=False):
        super().__init__()
        self.fc1 = nn.Linear(4, 100)
        self.fc2 = nn.Linear(100, 100)
        self.mean = nn.Linear(100, 2)
        self.var = nn.Linear(100, 2)
        self.relu2 = relu2

    def forward(self, x):
        h = F.relu(self.fc1(x))
        h = self.fc2(h)
        if self.relu2:
            h = F.relu(h)
        return self.mean(h), F.softplus(self.var(h))


def split(seed):
    iris = load_iris()
    xtr, xte, ytr, yte = train_test_split(
        iris.data, iris.target, test_size=0.8, random_state=seed)
    return (torch.tensor(xtr, dtype=torch.float32),
            torch.tensor(xte, dtype=torch.float32),
            torch.tensor(ytr, dtype=torch.long),
            torch.tensor(yte, dtype=torch.long))


def nearest_row_acc(pred, rows, y):
    dist = torch.cdist(pred, rows)
    return (dist.argmin(dim=1) == y).float().mean().item()


def part2(seed, data, softmax, relu2, log=None):
    xtr, xte, ytr, yte = data
    torch.manual_seed(seed)
    net = Net(3, relu2=relu2, softmax=softmax)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        opt.zero_grad()
        loss = loss_fn(net(xtr), ytr)
        if log is not None and epoch % 100 == 0:
            log.append((epoch, loss.item()))
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (net(xte).argmax(dim=1) == yte).float().mean().item()
    return {"test acc": acc}


def part3(seed, data, relu2):
    xtr, xte, ytr, yte = data
    torch.manual_seed(seed)
    emb = torch.randn(3, 2)
    net = Net(2, relu2=relu2)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    for _ in range(EPOCHS):
        opt.zero_grad()
        loss = loss_fn(net(xtr), emb[ytr])
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = net(xte)
        mae = nn.L1Loss()(pred, emb[yte]).item()
        acc = nearest_row_acc(pred, emb, yte)
    return {"test MAE": mae, "nearest-row acc": acc}


def part4(seed, data, relu2):
    xtr, xte, ytr, yte = data
    torch.manual_seed(seed)
    emb = torch.randn(3, 2)
    net = GaussNet(relu2=relu2)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    loss_fn = nn.GaussianNLLLoss()
    for _ in range(EPOCHS):
        opt.zero_grad()
        mean, var = net(xtr)
        loss = loss_fn(mean, emb[ytr], var)
        loss.backward()
        opt.step()
    with torch.no_grad():
        mean, _ = net(xte)
        mae = nn.L1Loss()(mean, emb[yte]).item()
        acc = nearest_row_acc(mean, emb, yte)
    return {"test MAE (mean)": mae, "nearest-row acc": acc}


def part5(seed, data, detach):
    xtr, xte, ytr, yte = data
    torch.manual_seed(seed)
    table = nn.Embedding(3, 2, max_norm=1)
    table.weight.data.normal_(0, 5)
    net = Net(2)
    opt = torch.optim.SGD(list(net.parameters()) + list(table.parameters()),
                          lr=0.01)
    loss_fn = nn.MSELoss()
    for _ in range(EPOCHS):
        opt.zero_grad()
        target = table(ytr)
        if detach:
            target = target.detach()
        loss = loss_fn(net(xtr), target)
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = net(xte)
        rows = table(torch.arange(3))
        mae = nn.L1Loss()(pred, rows[yte]).item()
        acc = nearest_row_acc(pred, rows, yte)
    return {"test MAE": mae, "nearest-row acc": acc}


EXPERIMENTS = [
    ("part 2  course (softmax twice)",
     lambda s, d, log=None: part2(s, d, softmax=True, relu2=False, log=log)),
    ("part 2  (a) softmax once",
     lambda s, d: part2(s, d, softmax=False, relu2=False)),
    ("part 2  (b) relu after fc2",
     lambda s, d: part2(s, d, softmax=True, relu2=True)),
    ("part 2  (c) both fixed",
     lambda s, d: part2(s, d, softmax=False, relu2=True)),
    ("part 3  course",
     lambda s, d: part3(s, d, relu2=False)),
    ("part 3  (b) relu after fc2",
     lambda s, d: part3(s, d, relu2=True)),
    ("part 4  course",
     lambda s, d: part4(s, d, relu2=False)),
    ("part 4  (b) relu after fc2",
     lambda s, d: part4(s, d, relu2=True)),
    ("part 5  course (target detached)",
     lambda s, d: part5(s, d, detach=True)),
    ("part 5  (d) target not detached",
     lambda s, d: part5(s, d, detach=False)),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10,
                        help="number of seeded splits, seeds 0..N-1")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.time()

    seeds = list(range(args.seeds))
    results = {name: {} for name, _ in EXPERIMENTS}
    curve = []
    for seed in seeds:
        data = split(seed)
        for i, (name, fn) in enumerate(EXPERIMENTS):
            if i == 0 and seed == seeds[0]:
                out = fn(seed, data, log=curve)
            else:
                out = fn(seed, data)
            for metric, value in out.items():
                results[name].setdefault(metric, []).append(value)

    print(f"torch {torch.__version__}, {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), "
          f"{EPOCHS} epochs, 30 train / 120 test flowers")
    print()
    print(f"part 2 course, seed {seeds[0]}: training loss")
    for epoch, loss in curve:
        print(f"  epoch {epoch:4d}  loss {loss:.4f}")
    print()
    print(f"{'experiment':36s} {'metric':18s} {'mean':>8s}   {'std':>7s}")
    for name, _ in EXPERIMENTS:
        for metric, values in results[name].items():
            v = np.array(values)
            std = v.std(ddof=1) if len(v) > 1 else float("nan")
            print(f"{name:36s} {metric:18s} {v.mean():8.4f} +- {std:7.4f}")
    print()
    print(f"wall time {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
