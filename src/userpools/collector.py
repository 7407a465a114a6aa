"""The garbage collector of a serving process.

CPython's cyclic collector runs a young collection every 700 allocations of container objects, and now and
then a full one that walks every tracked object of the process: the service model, SQLAlchemy's tables, the
routes, everything start-up built and nothing will free. Measured on the server under a hosted sign-in load
(``gc.callbacks``, 12 s at ~500 sign-ins/s): 935 young, 86 middle and 5 full collections, 0.56 s of the
process's 15 s of CPU (3.7%), the full ones ~60 ms each (a pause of every request in flight).

So once the server has started, ``settle()`` collects what start-up left, moves the survivors out of the
collector's sight (``gc.freeze``: they are never walked again) and makes young collections rarer: a request
allocates a few hundred containers and frees nearly all of them by reference counting, so at 20,000 the
young generation is mostly what requests in flight hold. The same load then cost 10 young collections and
no full one after start-up. Cycles are still collected, later; nothing is turned off.

Only ``serve`` (one process, or each worker) calls this: a process that embeds the app (the pytest plugin,
the tests) keeps CPython's defaults.
"""

from __future__ import annotations

import gc

#: allocations of container objects between two young collections (CPython's default: 700)
YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """After start-up: what start-up allocated is frozen, and young collections come every
    ``YOUNG_THRESHOLD`` allocations (the older generations' thresholds stay CPython's)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
