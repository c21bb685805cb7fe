#!/usr/bin/env bash
# Regenerates the fuzz seed corpus, Tests/Fuzz/corpus/<target>/: small VALID inputs for every
# fuzz target (bundles made by `brittle bundle pack`, .npy via numpy, the rest written by hand).
# Not run by CI; the corpus is checked in. Needs python3 with numpy, zstd, and a built `brittle`.
# Usage: Tests/Fuzz/make-corpus.sh [path/to/brittle]   (default: .build/debug/brittle)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
brittle="${1:-$root/.build/debug/brittle}"
out="$root/Tests/Fuzz/corpus"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/brittle-corpus.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out"
mkdir -p "$out"/{bundle,bundle-tar,dataset-bundle,manifest,npy,safetensors,idx-raw,idx-gz,cifar10,checkpoint,reproduce-config,reproduce-set,plugin-params,transform-spec}

python3 - "$out" "$tmp" <<'PY'
import gzip, io, json, os, struct, sys
import numpy as np
out, tmp = sys.argv[1], sys.argv[2]
def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f: f.write(data)
def npy(a):
    b = io.BytesIO(); np.save(b, a, allow_pickle=False); return b.getvalue()
def st(tensors, meta=None):
    header, blobs, off = {}, b"", 0
    if meta: header["__metadata__"] = meta
    for name, a in tensors:
        raw = a.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs += raw; off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blobs
def idx_images(n, r, c): return struct.pack(">IIII", 0x803, n, r, c) + bytes((i * 37) % 256 for i in range(n * r * c))
def idx_labels(labels): return struct.pack(">II", 0x801, len(labels)) + bytes(labels)
rng = np.random.default_rng(0)

put(f"{out}/npy/f4-2x3.npy", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
put(f"{out}/npy/i4-5.npy", npy(np.arange(5, dtype="<i4")))
put(f"{out}/npy/i8-2x2.npy", npy(np.array([[0, 9], [3, 1]], dtype="<i8")))
put(f"{out}/npy/f4-scalar.npy", npy(np.array(1.5, dtype="<f4")))
put(f"{out}/npy/f4-empty.npy", npy(np.zeros((0, 3), dtype="<f4")))
put(f"{out}/npy/u1-images.npy", npy(np.arange(32, dtype="|u1").reshape(2, 1, 4, 4)))

put(f"{out}/safetensors/two.safetensors", st([("fc.weight", rng.standard_normal((2, 3))), ("fc.bias", np.zeros(2))], {"arch": "mlp"}))
put(f"{out}/safetensors/scalar.safetensors", st([("s", np.array(2.0))]))
put(f"{out}/safetensors/empty.safetensors", st([]))

put(f"{out}/idx-raw/images-2x3x3", idx_images(2, 3, 3))
put(f"{out}/idx-raw/labels-4", idx_labels([0, 9, 3, 1]))
put(f"{out}/idx-gz/images-2x3x3.gz", gzip.compress(idx_images(2, 3, 3), mtime=0))
put(f"{out}/idx-gz/labels-4.gz", gzip.compress(idx_labels([0, 9, 3, 1]), mtime=0))
put(f"{out}/idx-gz/labels-4-uncompressed", idx_labels([2, 2, 7, 5]))

rec = lambda label: bytes([label]) + bytes((i * 7 + label) % 256 for i in range(3072))
put(f"{out}/cifar10/two-records.bin", rec(3) + rec(9))
put(f"{out}/cifar10/empty.bin", b"")

# Directories to pack: a dataset (|u1 images, <i8 labels per split) and a model-like one.
for split, n in (("train", 3), ("test", 2)):
    put(f"{tmp}/dataset/{split}/images.npy", npy(np.arange(n * 16, dtype="|u1").reshape(n, 1, 4, 4)))
    put(f"{tmp}/dataset/{split}/labels.npy", npy(np.arange(n, dtype="<i8") % 2))
put(f"{tmp}/model/model.json", json.dumps({"architecture": "mlp", "input_shape": [1, 1, 3], "classes": 2}).encode())
put(f"{tmp}/model/notes/readme.txt", b"a tiny model bundle for the fuzz corpus\n")
PY

export SOURCE_DATE_EPOCH=0
# Tiny checkpoints of each in-tree architecture (one epoch on 100 Fashion-MNIST images).
checkpoint() {  # ARCH TRANSFORM ARCH-OPT...
    local arch="$1" transform="$2"; shift 2
    local opts=(); for o in "$@"; do opts+=(--arch-opt "$o"); done
    "$brittle" train --arch "$arch" "${opts[@]}" --transform "$transform" --epochs 1 --limit 100 \
        --test-limit 10 --threads 1 --out "$tmp/ckpt-$arch" >/dev/null 2>&1
    cp "$tmp/ckpt-$arch/model.safetensors" "$out/checkpoint/$arch.safetensors"
}
checkpoint mlp normalize hidden=4
checkpoint cnn-small random-crop channels1=2 channels2=2 hidden=4
checkpoint resnet-mini normalize:mean=0.3,std=0.3 width=2 blocks=1
# The model bundle holds the real mlp checkpoint (loadable by `evaluate --model`).
cp "$tmp/ckpt-mlp/model.safetensors" "$tmp/model/model.safetensors"
"$brittle" bundle pack "$tmp/dataset" --kind dataset --level 1 --output "$out/bundle/dataset.tar.zst" >/dev/null
"$brittle" bundle pack "$tmp/model" --kind model --level 1 --output "$out/bundle/model.tar.zst" >/dev/null
# The same archives without the zstd layer, for bundle-tar (which compresses its input).
zstd -q -d "$out/bundle/dataset.tar.zst" -o "$out/bundle-tar/dataset.tar"
zstd -q -d "$out/bundle/model.tar.zst" -o "$out/bundle-tar/model.tar"
"$brittle" bundle unpack "$out/bundle/dataset.tar.zst" --output "$tmp/unpacked" >/dev/null
cp "$tmp/unpacked/manifest.json" "$out/manifest/dataset-manifest.json"
# dataset-bundle: the configuration and arrays of the dataset bundle, joined by the separator.
python3 - "$tmp/unpacked" "$out/dataset-bundle/fashion-like" "$root/Datasets/fashion-mnist.json" <<'PY'
import json, sys
d, out = sys.argv[1], sys.argv[2]
parts = [json.dumps(json.load(open(f"{d}/manifest.json"))["configuration"]).encode()]
parts += [open(f"{d}/{s}/{a}.npy", "rb").read() for s in ("train", "test") for a in ("images", "labels")]
open(out, "wb").write(b"\n--8<--\n".join(parts))
# The same arrays under a real recipe (class names, image shape) as `datasets import` records it.
recipe = json.load(open(sys.argv[3]))
parts[0] = json.dumps({"dataset": "fashion-mnist", "recipe": recipe, "counts": {"train": 3, "test": 2}}).encode()
open(out + "-recipe", "wb").write(b"\n--8<--\n".join(parts))
PY
tar -xOf "$out/bundle-tar/model.tar" manifest.json > "$out/manifest/model-manifest.json"


"$brittle" reproduce all --preset smoke --show-config > "$out/reproduce-config/smoke.json"
printf '{"set_size": 3000, "seeds": [1, 2], "data_dir": null}\n' > "$out/reproduce-config/partial.json"
printf '{"eval-epsilons": [0.5, 1.0], "headline_epsilon": 0.5, "transfer_architectures": ["mlp"]}\n' > "$out/reproduce-config/lists.json"

printf 'set_size=3000\n' > "$out/reproduce-set/one"
printf 'seeds=1,2,3\neval_epsilons=[0.5,1]\nheadline_epsilon=0.5\n' > "$out/reproduce-set/lists"
printf 'test_limit=null\ninversion_start=noise\ntransfer_set=det\nrand_any_control=false\n' > "$out/reproduce-set/mixed"
printf 'transfer-architectures=mlp,cnn-small\nlearning_rate=1e-3\n' > "$out/reproduce-set/dashes"

printf 'hidden=512-256\n' > "$out/plugin-params/mlp-hidden"
printf 'channels1=16\nchannels2=32\nhidden=64\n' > "$out/plugin-params/cnn-small"
printf 'epsilon=0.5\nsteps=10\nstep-size=0.1\nrandom-start=true\nrestarts=2\n' > "$out/plugin-params/pgd"
printf 'mean=0.49/0.48/0.45\nstd=0.2/0.2/0.2\n' > "$out/plugin-params/normalize"
printf 'start=noise\nbest=no\nattack=pgd-linf\n' > "$out/plugin-params/mixed-kinds"
printf 'width=8\nblocks=2\n' > "$out/plugin-params/resnet-mini"

printf 'random-crop:padding=2\n' > "$out/transform-spec/random-crop"
printf 'normalize:mean=0.2860,std=0.3530\nhorizontal-flip\n' > "$out/transform-spec/two"
printf 'gaussian-noise:std=0.1,clamp=false\n' > "$out/transform-spec/noise"
printf 'adversarial-relabel:target-rule=next,epsilon=2,steps=5,attack=pgd-l2\n' > "$out/transform-spec/relabel"
printf 'invert-representation:start=noise,iterations=10,best=true\n' > "$out/transform-spec/invert"
du -sh "$out"
