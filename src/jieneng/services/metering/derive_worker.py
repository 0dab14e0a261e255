"""The app's derivation worker: :func:`run_worker` derives pending ranges every few
seconds (``metering_derive_seconds``) with :func:`.derive.derive_pending`."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import Engine

from jieneng.core.metering import ConsumptionOptions
from jieneng.settings import Settings

from .derive import DeriveResult, derive_pending, options_of

log = logging.getLogger(__name__)


async def _one_pass(engine: Engine, limit: int, options: ConsumptionOptions) -> DeriveResult:
    """One pass in a thread; cancelled (the app stopping), it still waits for the pass
    to end (its thread holds a connection of the engine the lifespan disposes next)."""
    running = asyncio.ensure_future(asyncio.to_thread(derive_pending, engine, limit=limit,
                                                      options=options))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await running
        raise


async def run_worker(engine: Engine, settings: Settings, every: float, *,
                     limit: int = 500) -> None:
    """Derive pending ranges every ``every`` seconds (at once again while a pass found
    a full batch), until cancelled (the app's lifespan). A failing pass is logged and
    rolled back — its ranges stay dirty for the next one — and never stops the loop."""
    options = options_of(settings)
    while True:
        busy = False
        try:
            done = await _one_pass(engine, limit, options)
            busy = done.meters >= limit
        except Exception:
            log.exception("metering derivation pass failed")
        if not busy:
            await asyncio.sleep(every)
