"""Outcomes of proxied calls, written in batches off the request path.

Why batches: one outcome per transaction costs milliseconds of server CPU on SQLite,
more than the proxying itself. A call's outcome is queued at once; a background task
writes whatever is queued at most every `ROUTERX_PROXY_OUTCOME_BATCH_MS` (50 ms) in one
`Router.record_many` transaction (group commit). A clean shutdown writes the rest before
the server exits; a crash loses at most the last batch window.

A batch the store refuses whole (say, a model retired between the route and the
outcome) is retried one outcome at a time, so one bad record does not lose the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import asdict, dataclass

from starlette.concurrency import run_in_threadpool

from router.errors import RouterxError
from router.outcomes import OutcomeRecord
from router.router import Router

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What one proxied call measured, including what the outcome table has no column
    for (time to first token, the attempts before it)."""

    outcome: OutcomeRecord
    ttft_ms: float | None
    attempt: int

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self.outcome), "ttft_ms": self.ttft_ms, "attempt": self.attempt}


class OutcomeRecorder:
    def __init__(self, router: Router, interval_ms: float, keep_recent: int = 200) -> None:
        self.router = router
        self.interval = interval_ms / 1000
        self._pending: list[OutcomeRecord] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.recent: deque[CallRecord] = deque(maxlen=keep_recent)
        self.written = 0
        self.lost = 0

    def add(self, call: CallRecord) -> None:
        self.recent.append(call)
        self._pending.append(call.outcome)
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="routerx-outcome-recorder")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.interval)  # the batch window: let more calls join
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            await run_in_threadpool(self._write, batch)

    def _write(self, batch: list[OutcomeRecord]) -> None:
        try:
            self.written += len(self.router.record_many(batch))
            return
        except RouterxError as exc:
            log.warning("proxy outcomes: batch of %d refused (%s); writing one by one",
                        len(batch), exc)
        except Exception:  # noqa: BLE001 - the store blinked: the outcomes must not vanish silently
            log.exception("proxy outcomes: batch of %d could not be written", len(batch))
        for record in batch:
            try:
                self.written += len(self.router.record_many([record]))
            except Exception as exc:  # noqa: BLE001
                self.lost += 1
                log.warning("proxy outcome for %s lost: %s", record.model, exc)

    async def close(self) -> None:
        """Stop the background task and write what is queued (a clean shutdown loses
        nothing)."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()
