"""JAX reference for `neurodyn bench`: the NeuroGym/nn-brain tutorial CTRNN, seed 000's CNN or the
default conv-ctrnn, compiled with jax.jit.

Usage: python bench_jax.py '{"n_in":3,"n_rec":64,"n_out":3,"batch":16,"steps":100,"reps":20,"dale":false,"threads":1}'
Prints one JSON line: {"median_ms": ..., "times_ms": [...]}. With "serve": true it instead reads a
number of steps per line on stdin and answers each with {"times_ms": [...]}, after a first line
{"ready": true} once compilation and the warm-up steps are over (the protocol of bench_torch.py).

The CTRNN and its step are those of bench_torch.py's CTRNN, float32 throughout:
h ← relu(h·(1−α) + α·(W_in x + b_in + W_rec h + b_rec)), α = 20/100, h₀ = 0, a linear readout,
cross-entropy (mean over every step and sample) against integer targets, and Adam (lr 0.01,
β = (0.9, 0.999), ε = 1e-8, as torch.optim.Adam's defaults). With "dale": true the recurrent
matrix is |W_rec| ⊙ mask, mask = (1 − I) with the last 20 % of columns negative. Written as a
performance-minded JAX user would: the whole training step (forward, loss, backward, Adam) is one
`jax.jit` function with `jax.lax.scan` over time; the input projection and the readout are single
products over all time steps outside the scan; the optimizer state is donated back to the step;
each timed step ends with `block_until_ready`.

With "cnn": true it is instead bench_torch.py's CNN (seed 000's network of `neurodyn train --task
Mnist`) on a batch of random 1×28×28 images with random labels: conv 3×3 pad 1 1→6, ReLU, max
pool 2, conv 3×3 pad 1 6→16, ReLU, max pool 2, flatten, linear 784→120, ReLU, 120→84, ReLU,
84→n_out; mean cross-entropy; Adam lr 1e-3 (torch's other defaults, as above). Convolutions are
`jax.lax.conv_general_dilated` in NCHW/OIHW (PyTorch's layouts, so the flatten order matches),
pooling `jax.lax.reduce_window` with max; every parameter starts from PyTorch's default
U(−1/√fan_in, 1/√fan_in), fan_in = C_in·k² for a convolution. Again one `jax.jit` step (forward,
loss, `jax.value_and_grad`, Adam written out) with the parameters and Adam's state donated.

With "crnn": {...} it is instead bench_torch.py's conv-ctrnn (the default recipe's network, the
recipe's numbers in the object; see bench_torch.py for the equations) on random 1×28×28 images:
the spontaneous phase (batch of one from rest under a blank image, `spont_steps` steps, wrapped in
`lax.stop_gradient`), then `steps` steps with the images as a `lax.scan` whose carry is both
areas' states and whose output is each step's pooled `ReLU(r1)`; the readout over the last
len(`loss_weights`) steps, the ramp-weighted cross-entropy, `jax.value_and_grad` and Adam at `lr`
in one `jax.jit`. Convolutions `lax.conv_general_dilated` without bias, the stem's average pool
`lax.reduce_window` with add over the window's size; PyTorch's default initialisation for the
convolutions and the readout, zero per-unit biases. Two choices a performance-minded user would
make after timing them on the bench's host (one thread, steps of the default recipe at batch 64):
NHWC/HWIO layouts (unrolled: 225–305 ms against 420–515 ms in NCHW/OIHW) and both scans fully
unrolled, "unroll" defaulting to the longer phase's step count (a rolled `lax.scan`: 2.6–3.0 s a
step in either layout; why XLA's CPU backend is that much slower in a loop was not looked into).
On the engine's weights and images, loss and gradients agree with the engine's to float32
rounding.

Threads: "threads": 1 sets XLA_FLAGS="--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1" before JAX is imported (the parent `neurodyn bench` also pins the
process to one CPU with taskset); more threads leave XLA's default (the parent pins to that many
CPUs). "unroll" (default 1; for the conv-ctrnn see above) is passed to lax.scan.
"""
import json
import os
import sys
import time


def set_threads(threads):
    """Before JAX is imported: one thread means XLA's CPU backend runs single-threaded."""
    if threads == 1:
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()


def build(cfg):
    """The training step and its initial state for a configuration (after JAX is imported)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    n_in, n_rec, n_out = cfg["n_in"], cfg["n_rec"], cfg["n_out"]
    steps, batch = cfg["steps"], cfg["batch"]
    alpha = 20.0 / 100.0
    dale = cfg.get("dale", False)
    unroll = int(cfg.get("unroll", 1))
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8

    rng = np.random.default_rng(0)

    def linear(fan_out, fan_in):
        # nn.Linear's default initialisation: U(−1/√fan_in, 1/√fan_in) for weight and bias.
        k = 1.0 / np.sqrt(fan_in)
        w = rng.uniform(-k, k, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-k, k, (fan_out,)).astype(np.float32)
        return jnp.asarray(w), jnp.asarray(b)

    w_in, b_in = linear(n_rec, n_in)
    w_rec, b_rec = linear(n_rec, n_rec)
    w_out, b_out = linear(n_out, n_rec)
    params = {"w_in": w_in, "b_in": b_in, "w_rec": w_rec, "b_rec": b_rec,
              "w_out": w_out, "b_out": b_out}
    if dale:
        n_exc = int(round(0.8 * n_rec))
        sign = np.ones(n_rec, np.float32)
        sign[n_exc:] = -1
        mask = jnp.asarray((np.ones((n_rec, n_rec), np.float32) - np.eye(n_rec, dtype=np.float32))
                           * sign[None, :])
    else:
        mask = None

    def loss_fn(p, x, y):
        w = jnp.abs(p["w_rec"]) * mask if dale else p["w_rec"]
        wt = w.T
        # (T, B, H): the input projection of every step in one product.
        u = x @ p["w_in"].T + (p["b_in"] + p["b_rec"])

        def body(h, u_t):
            h = jax.nn.relu(h * (1.0 - alpha) + alpha * (u_t + h @ wt))
            return h, h

        h0 = jnp.zeros((x.shape[1], n_rec), jnp.float32)
        _, hs = jax.lax.scan(body, h0, u, unroll=unroll)
        logits = hs @ p["w_out"].T + p["b_out"]  # (T, B, O)
        logp = jax.nn.log_softmax(logits, axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, y[..., None], axis=-1))

    step, state = adam_step(loss_fn, params, lr, b1, b2, eps)
    x = jnp.asarray(rng.standard_normal((steps, batch, n_in)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, n_out, (steps, batch)).astype(np.int32))
    return step, state, x, y, loss_fn


def adam_step(loss_fn, params, lr, b1, b2, eps):
    """One jitted training step of `loss_fn(params, x, y)` with Adam written out (optax is not
    assumed), and its initial state (params, m, v, t); the state is donated back to the step."""
    import jax
    import jax.numpy as jnp

    def train_step(p, m, v, t, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        t = t + 1
        bc1 = 1.0 - b1 ** t
        bc2 = 1.0 - b2 ** t
        m = jax.tree_util.tree_map(lambda m_, g_: b1 * m_ + (1.0 - b1) * g_, m, g)
        v = jax.tree_util.tree_map(lambda v_, g_: b2 * v_ + (1.0 - b2) * g_ * g_, v, g)
        p = jax.tree_util.tree_map(
            lambda p_, m_, v_: p_ - (lr / bc1) * m_ / (jnp.sqrt(v_) / jnp.sqrt(bc2) + eps), p, m, v)
        return p, m, v, t, loss

    step = jax.jit(train_step, donate_argnums=(0, 1, 2, 3))
    state = (params, jax.tree_util.tree_map(jnp.zeros_like, params),
             jax.tree_util.tree_map(jnp.zeros_like, params), jnp.zeros((), jnp.float32))
    return step, state


def build_cnn(cfg):
    """Seed 000's CNN: the training step and its initial state (after JAX is imported)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    batch, n_out = cfg["batch"], cfg["n_out"]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    rng = np.random.default_rng(0)

    def uniform(shape, fan_in):
        # PyTorch's default for Conv2d and Linear: U(−1/√fan_in, 1/√fan_in), weight and bias.
        k = 1.0 / np.sqrt(fan_in)
        return jnp.asarray(rng.uniform(-k, k, shape).astype(np.float32))

    params = {}
    for name, c_out, c_in in (("conv1", 6, 1), ("conv2", 16, 6)):
        params[name + "_w"] = uniform((c_out, c_in, 3, 3), c_in * 9)
        params[name + "_b"] = uniform((c_out,), c_in * 9)
    for name, n_o, n_i in (("fc1", 120, 784), ("fc2", 84, 120), ("fc3", n_out, 84)):
        params[name + "_w"] = uniform((n_o, n_i), n_i)
        params[name + "_b"] = uniform((n_o,), n_i)

    def conv(x, w, b):
        y = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)),
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + b[None, :, None, None]

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss_fn(p, x, y):
        h = pool(jax.nn.relu(conv(x, p["conv1_w"], p["conv1_b"])))
        h = pool(jax.nn.relu(conv(h, p["conv2_w"], p["conv2_b"])))
        h = h.reshape(h.shape[0], -1)  # (N, 16·7·7), channel-major as nn.Flatten
        h = jax.nn.relu(h @ p["fc1_w"].T + p["fc1_b"])
        h = jax.nn.relu(h @ p["fc2_w"].T + p["fc2_b"])
        logits = h @ p["fc3_w"].T + p["fc3_b"]
        logp = jax.nn.log_softmax(logits, axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=-1))

    step, state = adam_step(loss_fn, params, lr, b1, b2, eps)
    x = jnp.asarray(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, n_out, (batch,)).astype(np.int32))
    return step, state, x, y, loss_fn


def build_crnn(cfg):
    """The default conv-ctrnn recipe's network: the training step and its initial state (after
    JAX is imported). NHWC/HWIO, and both time loops fully unrolled unless "unroll" says
    otherwise (see the module's docstring)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    spec, batch, n_out = cfg["crnn"], cfg["batch"], cfg["n_out"]
    (c_s, k_s, stride_s, pad_s, pool), ((c0, st0), (c1, st1)) = spec["stem"], spec["areas"]
    alpha, weights = spec["alpha"], jnp.asarray(spec["loss_weights"], jnp.float32)
    n_read, steps, spont_steps = len(spec["loss_weights"]), spec["steps"], spec["spont_steps"]
    lr, b1, b2, eps = spec["lr"], 0.9, 0.999, 1e-8
    unroll = int(cfg.get("unroll", max(steps, spont_steps)))
    # Map sides: the stem's convolution, its pool, area 0, area 1.
    h = (28 + 2 * pad_s - k_s) // stride_s + 1
    h0 = (h // pool - 1) // st0 + 1
    h1 = (h0 - 1) // st1 + 1
    rng = np.random.default_rng(0)

    def kernel(k, c_in, c_out):
        # PyTorch's default for Conv2d: U(−1/√fan_in, 1/√fan_in), fan_in = C_in·k², here HWIO.
        b = 1.0 / np.sqrt(c_in * k * k)
        return jnp.asarray(rng.uniform(-b, b, (k, k, c_in, c_out)).astype(np.float32))

    b_fc = 1.0 / np.sqrt(c1)
    params = {
        "stem": kernel(k_s, 1, c_s),
        "ff0": kernel(3, c_s, c0),
        "skip0": kernel(3, c_s, c0),
        "rec0": kernel(3, c0, c0),
        "b0": jnp.zeros((h0, h0, c0), jnp.float32),
        "ff1": kernel(3, c0, c1),
        "rec1": kernel(3, c1, c1),
        "b1": jnp.zeros((h1, h1, c1), jnp.float32),
        "fc_w": jnp.asarray(rng.uniform(-b_fc, b_fc, (n_out, c1)).astype(np.float32)),
        "fc_b": jnp.asarray(rng.uniform(-b_fc, b_fc, (n_out,)).astype(np.float32)),
    }

    def conv(x, w, stride, pad):
        return jax.lax.conv_general_dilated(x, w, (stride, stride), ((pad, pad), (pad, pad)),
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def run(p, x, r0, r1, n_steps):
        """n_steps steps from (r0, r1) with images x; each step's pooled ReLU(r1)."""
        s = conv(x, p["stem"], stride_s, pad_s)
        if pool > 1:
            s = jax.lax.reduce_window(s, 0.0, jax.lax.add, (1, pool, pool, 1),
                                      (1, pool, pool, 1), "VALID") / (pool * pool)
        u0 = conv(s, p["ff0"], st0, 1) + p["b0"]
        k0 = conv(s, p["skip0"], st0, 1)

        def body(carry, _):
            r0, r1 = carry
            z0 = conv(r0, p["rec0"], 1, 1) + u0
            z1 = conv(r1, p["rec1"], 1, 1) + p["b1"] + conv(jax.nn.relu(r0) + k0, p["ff1"], st1, 1)
            r0 = (1.0 - alpha) * r0 + alpha * jax.nn.relu(z0)
            r1 = (1.0 - alpha) * r1 + alpha * jax.nn.relu(z1)
            return (r0, r1), jnp.mean(jax.nn.relu(r1), axis=(1, 2))

        (r0, r1), feats = jax.lax.scan(body, (r0, r1), None, length=n_steps, unroll=unroll)
        return r0, r1, feats

    def loss_fn(p, x, y):
        r0 = jnp.zeros((1, h0, h0, c0), jnp.float32)
        r1 = jnp.zeros((1, h1, h1, c1), jnp.float32)
        if spont_steps > 0:
            blank = jnp.zeros((1, 28, 28, 1), jnp.float32)
            r0, r1 = jax.lax.stop_gradient(run(p, blank, r0, r1, spont_steps)[:2])
        n = x.shape[0]
        r0 = jnp.broadcast_to(r0, (n, h0, h0, c0))
        r1 = jnp.broadcast_to(r1, (n, h1, h1, c1))
        _, _, feats = run(p, x, r0, r1, steps)
        logits = feats[steps - n_read:] @ p["fc_w"].T + p["fc_b"]  # (n_read, N, O)
        logp = jax.nn.log_softmax(logits, axis=-1)
        ce = -jnp.mean(jnp.take_along_axis(logp, y[None, :, None], axis=-1)[..., 0], axis=1)
        return jnp.sum(weights * ce)

    step, state = adam_step(loss_fn, params, lr, b1, b2, eps)
    x = jnp.asarray(rng.standard_normal((batch, 28, 28, 1)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, n_out, (batch,)).astype(np.int32))
    return step, state, x, y, loss_fn


def main():
    cfg = json.loads(sys.argv[1])
    set_threads(int(cfg.get("threads", 1)))
    import warnings

    warnings.filterwarnings("ignore", message=".*donated buffers.*")
    import jax

    builder = build_crnn if cfg.get("crnn") else build_cnn if cfg.get("cnn") else build
    step, state, x, y, _ = builder(cfg)

    def one():
        nonlocal state
        *rest, loss = step(*state, x, y)
        state = tuple(rest)
        jax.block_until_ready((state, loss))

    for _ in range(3):  # compilation, and the first runs of the compiled step
        one()

    def warm(ms):
        # Untimed steps for at least `ms` milliseconds (at least one).
        t0 = time.perf_counter()
        one()
        while (time.perf_counter() - t0) * 1e3 < ms:
            one()

    def timed(k):
        times = []
        for _ in range(k):
            t0 = time.perf_counter()
            one()
            times.append((time.perf_counter() - t0) * 1e3)
        return times

    if cfg.get("serve"):
        # As bench_torch.py: one JSON line per block of steps asked for on stdin, each block
        # after `warm_ms` of untimed steps.
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            warm(cfg.get("warm_ms", 0.0))
            print(json.dumps({"times_ms": timed(int(line))}), flush=True)
    else:
        times = sorted(timed(cfg["reps"]))
        print(json.dumps({"median_ms": times[len(times) // 2], "times_ms": times}))


if __name__ == "__main__":
    main()
