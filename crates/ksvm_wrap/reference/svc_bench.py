"""scikit-learn's SVC on MNIST: the reference that `ksvm_wrap mnist --bench`
(and `ksvm_wrap mnist --sklearn`) measures in the same run as its own solver.

The binary runs this file with the Python given by --python (default python3)
and the same images, C and gamma as its own run; the result is one JSON line
on stdout. It reads the IDX files itself (plain or .gz, standard library) and
needs numpy and scikit-learn:

    python3 -m pip install scikit-learn      # brings numpy

Run by hand:

    python3 crates/ksvm_wrap/reference/svc_bench.py --probe
    python3 crates/ksvm_wrap/reference/svc_bench.py --mnist-dir data/mnist \
        --n-train 10000 --n-test 10000 --c 1 --kernel rbf --gamma 0.0134

Exit codes: 0 done; 1 MNIST files missing or broken; 2 bad arguments;
3 scikit-learn or numpy missing (the message says which).
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time


def open_idx(folder, name):
    """`name`, `name.gz`, or the same with '-idx' written '.idx' (as the Rust reader)."""
    dotted = name.replace("-idx", ".idx", 1)
    for base in (name, dotted):
        for path in (os.path.join(folder, base), os.path.join(folder, base + ".gz")):
            if os.path.isfile(path):
                return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    sys.exit(f"svc_bench: {name} not found in {folder} (run ./dl setup)")


def read_images(folder, prefix, n):
    with open_idx(folder, f"{prefix}-images-idx3-ubyte") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            sys.exit(f"svc_bench: bad magic {magic} in {prefix} images")
        n = min(n, count)
        return n, rows * cols, f.read(n * rows * cols)


def read_labels(folder, prefix, n):
    with open_idx(folder, f"{prefix}-labels-idx1-ubyte") as f:
        magic, count = struct.unpack(">II", f.read(8))
        if magic != 2049:
            sys.exit(f"svc_bench: bad magic {magic} in {prefix} labels")
        return f.read(min(n, count))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probe", action="store_true", help="only check that scikit-learn imports")
    ap.add_argument("--mnist-dir", default="data/mnist")
    ap.add_argument("--n-train", type=int, default=10000)
    ap.add_argument("--n-test", type=int, default=10000)
    ap.add_argument("--c", type=float, default=1.0)
    ap.add_argument("--kernel", choices=["rbf", "linear"], default="rbf")
    ap.add_argument("--gamma", type=float, default=None, help="a number; omit for 'scale'")
    args = ap.parse_args()
    try:
        import numpy as np
        import sklearn
        from sklearn.svm import SVC
    except ImportError as e:
        print(f"{e}", file=sys.stderr)
        sys.exit(3)
    if args.probe:
        print(json.dumps({"sklearn": sklearn.__version__, "numpy": np.__version__}))
        return

    def load(prefix, n):
        n, d, pixels = read_images(args.mnist_dir, prefix, n)
        x = np.frombuffer(pixels, dtype=np.uint8).reshape(n, d).astype(np.float64) / 255.0
        y = np.frombuffer(read_labels(args.mnist_dir, prefix, n), dtype=np.uint8)
        return x, y

    x, y = load("train", args.n_train)
    xt, yt = load("t10k", args.n_test)
    gamma = "scale" if args.gamma is None else args.gamma
    svc = SVC(C=args.c, kernel=args.kernel, gamma=gamma, decision_function_shape="ovo")
    t0 = time.perf_counter()
    svc.fit(x, y)
    fit = time.perf_counter() - t0
    t1 = time.perf_counter()
    pred = svc.predict(xt)
    predict = time.perf_counter() - t1
    print(json.dumps({
        "sklearn": sklearn.__version__,
        "n_train": int(x.shape[0]),
        "n_test": int(xt.shape[0]),
        "fit_seconds": fit,
        "predict_seconds": predict,
        "test_accuracy": float((pred == yt).mean()),
        "n_support": int(svc.n_support_.sum()),
    }))


if __name__ == "__main__":
    main()
