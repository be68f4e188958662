"""Decode, infer and encode in three threads joined by bounded queues.

Memory stays independent of the video's length: at most ``depth`` frames wait between
two stages, and no stage keeps a list of frames. An exception in any stage stops the
others and is re-raised in the caller's thread (the first one wins); so does a
``KeyboardInterrupt`` in the caller, after the workers have been told to stop.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

_END = object()


class _Stop(Exception):
    """Raised inside a worker when another stage failed."""


class Pipeline:
    """``run(source, transform, sink)``: ``for x in source: sink(transform(x))``, with the
    three parts in their own threads (``transform`` in the caller's thread).

    ``source`` is an iterable (e.g. a decoder's frame generator), ``transform`` maps one
    item to one item, ``sink`` consumes items (e.g. an encoder). Returns the item count.
    """

    def __init__(self, depth: int = 4) -> None:
        self.depth = depth
        self._error: BaseException | None = None
        self._stop = threading.Event()

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        self._stop.set()

    def _put(self, q: queue.Queue, item: Any) -> None:
        while True:
            if self._stop.is_set():
                raise _Stop
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _get(self, q: queue.Queue) -> Any:
        while True:
            if self._stop.is_set():
                raise _Stop
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                continue

    def _produce(self, source: Iterable[Any], out: queue.Queue) -> None:
        try:
            for item in source:
                self._put(out, item)
            self._put(out, _END)
        except _Stop:
            pass
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self._fail(exc)

    def _consume(self, inp: queue.Queue, sink: Callable[[Any], None]) -> None:
        try:
            while (item := self._get(inp)) is not _END:
                sink(item)
        except _Stop:
            pass
        except BaseException as exc:  # noqa: BLE001
            self._fail(exc)

    def run(self, source: Iterable[Any], transform: Callable[[Any], Any],
            sink: Callable[[Any], None]) -> int:
        decoded: queue.Queue = queue.Queue(self.depth)
        done: queue.Queue = queue.Queue(self.depth)
        threads = [threading.Thread(target=self._produce, args=(source, decoded), daemon=True),
                   threading.Thread(target=self._consume, args=(done, sink), daemon=True)]
        for t in threads:
            t.start()
        count = 0
        try:
            while (item := self._get(decoded)) is not _END:
                self._put(done, transform(item))
                count += 1
            self._put(done, _END)
            threads[1].join()
        except _Stop:
            pass
        except BaseException as exc:
            self._fail(exc)
        finally:
            if self._error is not None:
                self._stop.set()
            for t in threads:
                t.join(timeout=30)
        if self._error is not None:
            raise self._error
        return count

