"""The embedding stage of a build on a Ray cluster (``qis-match build --ray auto|ADDRESS``).

A catalog that outgrows one machine is embedded by Ray actors, one per worker CPU, each holding its
own encoder built from the same settings. The driver cuts the texts into the same batches a
single-machine build would embed and writes the vectors back in order, so the index is the same
(the embedded encoder gives identical vectors whatever the thread count or batch neighbours — a
test checks the whole index file by file). The cache stays on the driver: workers never write it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import numpy as np

from qis_match.settings import Settings

log = logging.getLogger(__name__)


class _EncoderActor:
    """One encoder per actor (loaded once, reused for every batch it is given)."""

    def __init__(self, settings_json: str, threads: int) -> None:
        from qis_match.encoders import make_encoder

        settings = Settings.model_validate_json(settings_json)
        settings = settings.model_copy(update={"encoder_threads": threads})
        self.encoder = make_encoder(settings)

    def encode(self, batch: list[str], kind: str) -> np.ndarray:
        enc = self.encoder
        return (enc.encode_queries if kind == "query" else enc.encode_passages)(batch)


class RayEmbedder:
    """Spread batches over Ray actors. ``address``: ``auto`` starts (or joins) a local cluster;
    anything else is a cluster address such as ``ray://head:10001`` or ``head:6379``."""

    def __init__(
        self,
        settings: Settings,
        address: str = "auto",
        actors: int | None = None,
        threads_per_actor: int = 1,
    ) -> None:
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("`--ray` needs Ray: pip install 'qis-match[ray]'") from exc
        self.ray = ray
        if not ray.is_initialized():
            if address == "auto":
                try:
                    ray.init(address="auto", log_to_driver=False)
                except ConnectionError:
                    ray.init(log_to_driver=False, include_dashboard=False)
            else:
                ray.init(address=address, log_to_driver=False)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = actors or max(1, cpus // threads_per_actor)
        remote = ray.remote(num_cpus=threads_per_actor)(_EncoderActor)
        payload = settings.model_dump_json()
        self.actors = [remote.remote(payload, threads_per_actor) for _ in range(n)]
        log.info("ray: %d encoder actors over %d CPUs", n, cpus)

    def __call__(self, batches: Sequence[list[str]], kind: str) -> Iterator[tuple[int, np.ndarray]]:
        """(batch number, vectors) as batches finish; a bounded number in flight per actor."""
        ray = self.ray
        pending: dict = {}
        queue = list(enumerate(batches))
        free = list(self.actors) * 2  # two batches in flight per actor keeps each one busy
        while queue or pending:
            while queue and free:
                i, batch = queue.pop(0)
                actor = free.pop()
                pending[actor.encode.remote(batch, kind)] = (i, actor)
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                i, actor = pending.pop(ref)
                free.append(actor)
                yield i, ray.get(ref)

    def shutdown(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        self.actors = []
