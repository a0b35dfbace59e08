"""Reference run of ParaDime's parametric t-SNE and parametric UMAP on MNIST.

What this is
------------
A reference script for the Lab 4 handout (parametric embeddings). It trains
the *reference library* -- ParaDime, "ParaDime: a framework for parametric
dimensionality reduction" (Python package ``paradime``, version 1.1.0) -- with
the protocol of the course's ParaDime tutorials on several seeds, and prints
5-NN accuracy, trustworthiness, timings and losses, so that the numbers of the
lab's own Rust implementation can be put next to the library's. It is NOT part
of the tests and nothing in the crate depends on it.

Protocol
--------
* Parametric t-SNE: ``paradime.routines.ParametricTSNE`` (perplexity 30,
  k = min(N-1, 3*perplexity) = 90 neighbours, hidden layers [100, 50] softplus,
  PCA-initialisation phase: MSE to 2-D PCA, 10 epochs, batch 500, lr 0.01;
  main KL phase: 30 epochs, batch 500, lr 0.01, Adam). Trained on the first
  5,000 MNIST training images; scored on training images 5,000-9,999.
* Parametric UMAP: ``paradime.routines.ParametricUMAP`` (k = 30, net
  784-100-100-100-2, spectral-initialisation phase 10 epochs, batch 500,
  lr 0.01; main phase 60 epochs x 10 batches of 500 positive edges, 3
  negatives per edge, lr 0.01). The routine's constructor has no
  ``batches_per_epoch`` argument (its default, -1, gives ceil(N/(r+1)) edges
  per epoch, i.e. 3 batches), so the script sets ``batches_per_epoch = 10`` on
  the main training phase after construction. Trained on the first 5,000
  training images; scored on the 10,000 test images.
* Scores: ``KNeighborsClassifier(5)`` fitted on the 5,000 embedded training
  images and scored on the embedded evaluation images; 
  ``sklearn.manifold.trustworthiness(X_eval, Y_eval, n_neighbors=5)``.
* Seeds: ``paradime.utils.seed.seed_all(seed)`` (Python, NumPy and torch
  seeds, deterministic torch algorithms) before each run.
* Losses: ParaDime keeps one value per epoch, the sum of the batch losses of
  that epoch (``training_phase.loss.history``); the script prints the first and
  last of each phase (all of them with ``--all-losses``).
* Times (wall clock, seconds): ``t_knn`` the k-NN search alone, ``t_rel`` the
  global relations (k-NN plus perplexity/connectivity calibration and
  symmetrisation), ``t_train`` ParaDime's ``train()`` (PCA or spectral target
  plus all training phases). pynndescent's numba kernels are compiled once in
  a warm-up before the first run, so ``t_knn`` excludes JIT compilation.

Neighbours
----------
ParaDime's ``NeighborBasedPDist`` always builds an *approximate* k-NN graph
with ``pynndescent.NNDescent`` (no option for exact neighbours). The script
records the graph that the library itself builds (by wrapping the
``NNDescent`` class that ``paradime.relations`` calls, without changing its
arguments) and prints its recall against exact k-NN (the fraction of each
point's exact k neighbours, self excluded, that it contains). With
``--exact-neighbours`` (all runs) or ``--exact-also SEEDS`` (extra runs) the
routine's global relation is replaced by a subclass of ``NeighborBasedPDist``
that computes exact neighbours by brute force (scikit-learn) and otherwise
keeps the same k and the same transforms.

How to run
----------
Outside the repository, make a virtual environment with Python 3.10 (the
package pins numpy<1.23, which has no wheels for newer Pythons) and install,
by package name: ``paradime==1.1.0 torch scikit-learn cerberus ruamel.yaml``
(ParaDime imports ``cerberus`` and ``ruamel.yaml`` without declaring them).
Then, from the repository root::

    nice -n 10 /path/to/venv/bin/python \\
        crates/param_embed/reference/paradime_seeds.py --mnist data/mnist \\
        --seeds 0,1,2,3,4 --routines tsne,umap --exact-also 0

``--mnist`` is the folder with the raw MNIST IDX files
(``train-images-idx3-ubyte`` etc., optionally ``.gz``): pass the folder that
the lab's ``./dl setup`` links as ``data/mnist``. Runs on the CPU.
"""

import argparse
import gzip
import os
import time

import numpy as np


# --------------------------------------------------------------------------- #
# data


def _open_idx(folder, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                return f.read()
    raise FileNotFoundError(f"no {stem}[.gz] in {folder}")


def read_idx(folder, stem):
    raw = _open_idx(folder, stem)
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{stem}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big")
            for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load_mnist(folder):
    xtr = read_idx(folder, "train-images-idx3-ubyte")
    ytr = read_idx(folder, "train-labels-idx1-ubyte")
    xte = read_idx(folder, "t10k-images-idx3-ubyte")
    yte = read_idx(folder, "t10k-labels-idx1-ubyte")
    xtr = xtr.reshape(len(xtr), -1).astype(np.float32) / 255.0
    xte = xte.reshape(len(xte), -1).astype(np.float32) / 255.0
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)


# --------------------------------------------------------------------------- #
# neighbours


def exact_knn(x, k):
    """Exact k nearest neighbours (self excluded), brute force."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k + 1, algorithm="brute")
    nn.fit(x)
    _, idx = nn.kneighbors(x)
    out = np.empty((len(x), k), dtype=np.int64)
    for i, row in enumerate(idx):
        row = row[row != i]
        out[i] = row[:k]
    return out


def recall(graph, exact):
    """Fraction of the exact k neighbours found in `graph` (self excluded)."""
    k = exact.shape[1]
    hits = 0
    for i in range(len(exact)):
        row = graph[i]
        row = row[(row != i) & (row >= 0)][:k]
        hits += len(np.intersect1d(row, exact[i], assume_unique=False))
    return hits / exact.size


class _Recorder:
    """Stands in for the pynndescent module inside paradime.relations.

    Builds the index exactly as the library asks, and keeps it so that the
    library's own approximate graph can be compared with the exact one.
    """

    def __init__(self, module):
        self._module = module
        self.graphs = []
        self.last_time = float("nan")

    def NNDescent(self, *args, **kwargs):  # noqa: N802 (mirrors the API)
        t0 = time.perf_counter()
        index = self._module.NNDescent(*args, **kwargs)
        graph = index.neighbor_graph
        self.last_time = time.perf_counter() - t0
        self.graphs.append((kwargs.get("n_neighbors"), graph))
        return index

    def __getattr__(self, name):
        return getattr(self._module, name)


def make_exact_relations_class():
    from paradime import relations, relationdata, utils
    from sklearn.neighbors import NearestNeighbors

    class ExactNeighborPDist(relations.NeighborBasedPDist):
        """NeighborBasedPDist with exact (brute-force) neighbours."""

        def compute_relations(self, X=None, **kwargs):
            if X is None:
                raise ValueError("missing input for relations")
            X = utils.convert.to_numpy(X)
            self._set_n_neighbors(X.shape[0])
            t0 = time.perf_counter()
            nn = NearestNeighbors(n_neighbors=self.n_neighbors + 1,
                                  algorithm="brute", metric="euclidean")
            nn.fit(X)
            dist, idx = nn.kneighbors(X)
            self.knn_time = time.perf_counter() - t0
            self.relations = self._transform(
                relationdata.NeighborRelationTuple(
                    (idx.astype(np.int64), dist.astype(np.float32))))
            return self.relations

    return ExactNeighborPDist


# --------------------------------------------------------------------------- #
# routines


def build(routine, in_dim):
    from paradime import routines

    if routine == "tsne":
        dr = routines.ParametricTSNE(
            perplexity=30.0, in_dim=in_dim, out_dim=2, hidden_dims=[100, 50],
            initialization="pca", init_epochs=10, init_batch_size=500,
            init_learning_rate=0.01, epochs=30, batch_size=500,
            learning_rate=0.01)
    elif routine == "umap":
        dr = routines.ParametricUMAP(
            n_neighbors=30, in_dim=in_dim, out_dim=2,
            hidden_dims=[100, 100, 100], initialization="spectral",
            init_epochs=10, init_batch_size=500, init_learning_rate=0.01,
            epochs=60, batch_size=500, negative_sampling_rate=3,
            learning_rate=0.01)
        main = [tp for tp in dr.training_phases if tp.name == "embedding"][0]
        main.batches_per_epoch = 10
    else:
        raise ValueError(routine)
    return dr


def run_one(routine, seed, exact, data, recorder, exact_cache, args):
    import torch
    from paradime.utils.seed import seed_all
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import KNeighborsClassifier

    xtr, ytr, xte, yte = data
    n = args.n_train
    x_fit, y_fit = xtr[:n], ytr[:n]
    if routine == "tsne":
        x_eval, y_eval = xtr[n:2 * n], ytr[n:2 * n]
    else:
        x_eval, y_eval = xte, yte

    seed_all(seed)
    torch.set_num_threads(args.threads)
    dr = build(routine, x_fit.shape[1])
    if exact:
        cls = make_exact_relations_class()
        old = dr.global_relations["rel"]
        dr.global_relations["rel"] = cls(
            n_neighbors=old.n_neighbors, metric=old.metric,
            transform=old.transform, data_key=old.data_key)
    dr.verbose = args.verbose

    dr.add_data({"main": torch.tensor(x_fit)})
    n_graphs = len(recorder.graphs)
    t0 = time.perf_counter()
    dr.compute_global_relations()
    t_rel = time.perf_counter() - t0
    k = dr.global_relations["rel"].n_neighbors
    t_knn = dr.global_relations["rel"].knn_time if exact else \
        recorder.last_time

    rec = float("nan")
    if not exact and not args.timing_only and len(recorder.graphs) > n_graphs:
        _, (graph, _) = recorder.graphs[-1]
        if k not in exact_cache:
            exact_cache[k] = exact_knn(x_fit, k)
        rec = recall(graph, exact_cache[k])

    t0 = time.perf_counter()
    dr.train()  # derived data (PCA / spectral target) + all training phases
    t_train = time.perf_counter() - t0

    emb_fit = dr.apply(torch.tensor(x_fit)).numpy()
    emb_eval = dr.apply(torch.tensor(x_eval)).numpy()
    knn = KNeighborsClassifier(5).fit(emb_fit, y_fit)
    acc = float(knn.score(emb_eval, y_eval))
    t0 = time.perf_counter()
    trust = float("nan") if args.timing_only else \
        float(trustworthiness(x_eval, emb_eval, n_neighbors=5))
    t_score = time.perf_counter() - t0

    losses = [(tp.name, list(tp.loss.history)) for tp in dr.training_phases]
    return dict(routine=routine, seed=seed,
                nn="exact" if exact else "approx", k=k, recall=rec,
                acc=acc, trust=trust, t_knn=t_knn, t_rel=t_rel,
                t_train=t_train, t_score=t_score, losses=losses)


# --------------------------------------------------------------------------- #
# main


def _ints(text):
    return [int(s) for s in text.split(",") if s.strip() != ""]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mnist", required=True,
                   help="folder with the raw MNIST IDX files (the one the "
                        "lab's ./dl setup links as data/mnist)")
    p.add_argument("--seeds", type=_ints, default=[0, 1, 2, 3, 4],
                   help="comma-separated seeds (default 0,1,2,3,4)")
    p.add_argument("--routines", default="tsne,umap",
                   help="comma-separated subset of tsne,umap")
    p.add_argument("--exact-neighbours", action="store_true",
                   help="use exact k-NN instead of ParaDime's pynndescent "
                        "graph in every run")
    p.add_argument("--exact-also", type=_ints, default=[],
                   help="seeds to run a second time with exact neighbours "
                        "(e.g. 0), for comparison")
    p.add_argument("--n-train", type=int, default=5000)
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1)")
    p.add_argument("--all-losses", action="store_true",
                   help="print every epoch's loss, not only first and last")
    p.add_argument("--timing-only", action="store_true",
                   help="skip the scores that take long (trustworthiness, "
                        "recall of the neighbour graph); 5-NN is kept")
    p.add_argument("--json", action="store_true",
                   help="end with one line of JSON holding every run "
                        "(the lab's --bench reads it)")
    p.add_argument("--verbose", action="store_true",
                   help="ParaDime's own log messages")
    args = p.parse_args()

    routines = [r.strip() for r in args.routines.split(",") if r.strip()]
    for r in routines:
        if r not in ("tsne", "umap"):
            p.error(f"unknown routine {r!r}")

    t_all = time.perf_counter()
    import importlib.metadata as md
    import torch
    import paradime.relations
    import pynndescent

    torch.set_num_threads(args.threads)
    versions = []
    for name in ("paradime", "torch", "numpy", "scipy", "scikit-learn",
                 "pynndescent", "numba"):
        try:
            versions.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            versions.append(f"{name} ?")
    print("versions:", ", ".join(versions), flush=True)

    recorder = _Recorder(pynndescent)
    paradime.relations.pynndescent = recorder

    data = load_mnist(args.mnist)
    print(f"MNIST: train {data[0].shape}, test {data[2].shape}", flush=True)

    # compile pynndescent's numba kernels once, so that the first run's
    # neighbour time is not mostly JIT compilation (done before any seeding)
    t0 = time.perf_counter()
    pynndescent.NNDescent(data[0][:300], n_neighbors=31)
    print(f"pynndescent warm-up (JIT): {time.perf_counter() - t0:.1f} s",
          flush=True)

    plan = []
    for r in routines:
        for s in args.seeds:
            plan.append((r, s, args.exact_neighbours))
        if not args.exact_neighbours:
            for s in args.exact_also:
                plan.append((r, s, True))

    results = []
    exact_cache = {}
    for r, s, ex in plan:
        res = run_one(r, s, ex, data, recorder, exact_cache, args)
        results.append(res)
        rec = "" if np.isnan(res["recall"]) else \
            f" recall@{res['k']}={res['recall']:.4f}"
        print(f"[{r} seed {s} {res['nn']}] 5-NN={res['acc']:.4f} "
              f"trust={res['trust']:.4f} knn={res['t_knn']:.1f}s "
              f"rel={res['t_rel']:.1f}s "
              f"train={res['t_train']:.1f}s score={res['t_score']:.1f}s{rec}",
              flush=True)
        for name, hist in res["losses"]:
            if not hist:
                continue
            if args.all_losses:
                vals = " ".join(f"{v:.4f}" for v in hist)
                print(f"    loss {name} ({len(hist)} epochs): {vals}")
            else:
                print(f"    loss {name}: epoch 1 = {hist[0]:.4f}, "
                      f"epoch {len(hist)} = {hist[-1]:.4f}")

    print()
    head = (f"{'routine':<8}{'seed':>5} {'nn':<7}{'k':>4}{'recall':>8}"
            f"{'5-NN':>8}{'trust.':>8}{'t_knn/s':>9}{'t_rel/s':>9}"
            f"{'t_train/s':>10}")
    print(head)
    print("-" * len(head))
    for res in results:
        rec = "-" if np.isnan(res["recall"]) else f"{res['recall']:.4f}"
        print(f"{res['routine']:<8}{res['seed']:>5} {res['nn']:<7}"
              f"{res['k']:>4}{rec:>8}{res['acc']:>8.4f}{res['trust']:>8.4f}"
              f"{res['t_knn']:>9.1f}{res['t_rel']:>9.1f}"
              f"{res['t_train']:>10.1f}")
    print()
    mode = "exact" if args.exact_neighbours else "approx"
    for r in routines:
        sel = [x for x in results if x["routine"] == r and x["nn"] == mode]
        if not sel:
            continue
        acc = np.array([x["acc"] for x in sel])
        tr = np.array([x["trust"] for x in sel])
        sd = (lambda a: a.std(ddof=1)) if len(sel) > 1 else \
            (lambda a: float("nan"))
        print(f"{r} ({mode} neighbours, {len(sel)} seeds): "
              f"5-NN {acc.mean():.4f} ± {sd(acc):.4f}, "
              f"trust. {tr.mean():.4f} ± {sd(tr):.4f}")
    print(f"\ntotal wall time: {time.perf_counter() - t_all:.1f} s")
    if args.json:
        import json

        keep = ("routine", "seed", "nn", "k", "acc", "t_knn", "t_rel",
                "t_train")
        runs = [{key: res[key] for key in keep} for res in results]
        print(json.dumps({"versions": versions, "threads": args.threads,
                          "n_train": args.n_train, "runs": runs}))


if __name__ == "__main__":
    main()
