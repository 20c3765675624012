"""Pausing Python's cyclic garbage collector around work that builds many small objects."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (a context manager, or a decorator).

    Reading a workbook or building a report makes hundreds of thousands of small objects
    (cells, shares, findings), which makes Python run full collections that cost more than the
    work itself (a quarter of a GLOTIP ingest, a third of a 200-country report); that work makes
    no reference cycles worth collecting meanwhile, and what it drops is freed by reference
    counting as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
