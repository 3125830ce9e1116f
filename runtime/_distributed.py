"""Batches on a Dask cluster: each task is one chunk of runs, run on a worker exactly as the
single-process path runs it, so the results are bit-identical and come back in order.

Dask schedules, moves data and retries a chunk whose worker died; stockflow only splits the
batch, pickles the checked model once per call for the tasks to carry, and puts the chunks
back together."""

from __future__ import annotations

import copyreg
import hashlib
import io
import os
import pickle
from collections import OrderedDict
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np

from ..compiler.base.diagnostics import RunError, error
from ..compiler.ir.model import CheckedModel
from ._plan import Plan

TASKS_PER_WORKER = 4  # enough chunks to balance uneven workers and to lose little to a retry
MIN_CHUNK = 64  # runs: smaller chunks cost more in scheduling than they compute
INSTALL = 'pip install "stockflow[cluster]" (Dask distributed), here and on every worker'


def connect(address: str, timeout: float = 10.0) -> Any:
    """A Dask client: `local` (or `local:N`) starts a cluster of N worker processes here, one
    thread each (N defaults to the number of cores); anything else is a scheduler's address."""
    distributed = _distributed()
    name, _, count = address.strip().partition(":")
    if name.lower() == "local":
        workers = _count(count) if count else (os.cpu_count() or 1)
        return distributed.Client(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None)
    try:
        return distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RunError([error("E063", f"cannot reach a Dask scheduler at {address!r}: {exc}", None,
                              "start one (`dask scheduler`, or dask-jobqueue / dask-kubernetes) and give "
                              "its address as tcp://HOST:8786, or use `local` for this machine's cores")]) from None


def workers(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def chunk_size(n: int, memory_chunk: int, n_workers: int) -> int:
    """Runs per task: within the memory bound of one chunk, at most TASKS_PER_WORKER tasks a
    worker, in whole multiples of 64 runs as the single-process path uses."""
    want = -(-n // (n_workers * TASKS_PER_WORKER))
    if want >= MIN_CHUNK:
        want = -(-want // 64) * 64
    return max(1, min(memory_chunk, max(want, min(MIN_CHUNK, n))))


def run_on(client: Any, model: CheckedModel, structure: tuple[tuple[str, ...], tuple[str, ...]], backend: str,
           p: Plan, inputs: tuple[np.ndarray, np.ndarray, np.ndarray], keep: tuple[str, ...], chunk: int,
           progress: Callable[[int], None] | None = None) -> tuple[tuple[np.ndarray, ...], tuple[str, ...]]:
    """(trajectories, metrics, drift) of every run, in order, and the devices that ran them.
    Every chunk has the same shape (the last is padded by repeating its last run), so each
    worker compiles one function."""
    n = inputs[0].shape[0]
    key, blob = shipped(model)
    starts = list(range(0, n, chunk))
    out: list[np.ndarray] = []
    devices: set[str] = set()

    def task(i: int) -> tuple[Any, ...]:
        piece = tuple(x[np.minimum(np.arange(starts[i], starts[i] + chunk), n - 1)] for x in inputs)
        return (run_chunk, key, blob, structure, backend, p, piece, keep)

    def done(i: int, result: tuple[Any, ...]) -> None:
        nonlocal out
        *arrays, device = result
        if not out:
            out = [np.empty((n, *a.shape[1:]), a.dtype) for a in arrays]
        take = min(chunk, n - starts[i])
        for whole, part in zip(out, arrays, strict=True):
            whole[starts[i]:starts[i] + take] = part[:take]
        devices.add(device)
        if progress is not None:
            progress(take)

    each(client, len(starts), task, done)
    return tuple(out), tuple(sorted(devices))


def each(client: Any, count: int, task: Callable[[int], tuple[Any, ...]],
         done: Callable[[int, Any], None]) -> None:
    """Run task(i) = (function, *arguments) for i < count on the cluster, calling done(i, result)
    as each finishes. A task carries its own arguments, not handles to scattered data: data
    scattered to a worker dies with it, a task can run again anywhere. A few tasks per worker
    are in flight at a time, so the scheduler never holds the whole batch."""
    distributed = _distributed()
    window = 2 * TASKS_PER_WORKER * workers(client)
    index: dict[Any, int] = {}

    def submit(i: int) -> Any:
        fn, *args = task(i)
        fut = client.submit(fn, *args, pure=False)
        index[fut.key] = i
        return fut

    queue = distributed.as_completed([submit(i) for i in range(min(window, count))])
    following = min(window, count)
    try:
        for fut in queue:
            result = fut.result()
            i = index.pop(fut.key)
            fut.release()
            if following < count:
                queue.add(submit(following))
                following += 1
            done(i, result)
    except distributed.KilledWorker as exc:
        raise RunError([error("E063", f"Dask gave up on a task after its workers died: {exc}", None,
                              "a worker may be running out of memory: give workers more, or record less "
                              "(`save`, `outputs=`)")]) from None


# On a worker: the last few models it was sent, compiled once each per structure.
_MODELS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_KEEP_MODELS = 4


def run_chunk(key: str, blob: bytes, structure: tuple[tuple[str, ...], tuple[str, ...]], backend: str, p: Plan,
              inputs: tuple[np.ndarray, np.ndarray, np.ndarray], keep: tuple[str, ...]) -> tuple[Any, ...]:
    """One chunk on a worker: the same runner the single-process path uses, so the same numbers."""
    sim = _simulator(key, blob, structure, backend)
    params, override, mask = inputs
    return (*sim.run(p, params, override, mask, keep), _device(backend))


def _simulator(key: str, blob: bytes, structure: tuple[tuple[str, ...], tuple[str, ...]], backend: str) -> Any:
    def build() -> Any:
        model = pickle.loads(blob)
        if backend == "jax":
            from ._simulate import Simulator

            return Simulator(model, *structure)
        from ._numpy_run import NumpySimulator

        return NumpySimulator(model, *structure)

    return kept((key, structure, backend), build)


def kept(cached: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """What a worker built for `cached` before (a compiled runner, a fit's problem), or build()."""
    found = _MODELS.get(cached)
    if found is None:
        found = _MODELS[cached] = build()
        while len(_MODELS) > _KEEP_MODELS:
            _MODELS.popitem(last=False)
    _MODELS.move_to_end(cached)
    return found


def _device(backend: str) -> str:
    if backend != "jax":
        return "cpu"
    from ._jax import jax

    d = jax.devices()[0]
    return f"{d.platform} ({d.device_kind})" if d.platform != "cpu" else "cpu"


def shipped(obj: Any) -> tuple[str, bytes]:
    """`obj` pickled for the workers (`model_bytes`), and its digest: what a worker keys the
    runner or problem it builds from it by."""
    blob = model_bytes(obj)
    return hashlib.sha256(blob).hexdigest(), blob


def model_bytes(model: Any) -> bytes:
    """The checked model (or anything holding one) pickled for the workers. Its read-only
    mappings pickle as plain dicts rebuilt read-only; the rule is this pickler's own, not the
    process's."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_proxy}
    pickler.dump(model)
    return buf.getvalue()


def _reduce_proxy(m: MappingProxyType) -> tuple[Any, ...]:
    return (_read_only, (dict(m),))


def _read_only(d: dict) -> MappingProxyType:
    return MappingProxyType(d)


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise RunError([error("E063", f"`local:{text}`: the number of workers must be a whole number of at least 1",
                              None, "write local:2 for two worker processes, or local for one per core")])
    return n


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise RunError([error("E063", "running on a cluster needs Dask distributed, which is not installed", None,
                              INSTALL)]) from None
    return distributed
