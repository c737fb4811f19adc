"""Simulated time for many Lambda invocations at once, deterministically.

Each invocation runs in its own thread, but only one thread runs at a time:
the one the :class:`World` hands the baton to. A thread gives the baton
back when it sleeps on the world's clock (``world.sleep``) or ends; the
world then advances its clock to the earliest wake-up and hands the baton
on. Minutes of waiting therefore take microseconds, and 200 resources
waiting side by side interleave exactly as their sleeps say, the same way
on every run.

The world also plays Lambda's time limit: an invocation that would sleep
past ``deadline - 0.5 s`` is stopped there; crhelper's timer path runs (as
its ``threading.Timer`` would fire) and the invocation then ends with
:class:`LambdaTimedOut`, as Lambda stops a function at its timeout.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

# crhelper's timer fires this long before the Lambda deadline (resource_helper._set_timeout).
CRHELPER_TIMER_LEAD_SECONDS = 0.5


class LambdaTimedOut(BaseException):
    """Lambda stopped the invocation at its timeout (not an Exception: handlers can't catch it)."""


@dataclass(eq=False)
class Invocation:
    """One Lambda invocation: ``body`` runs in its own thread."""

    body: Callable[[Invocation], None]
    start: float
    timeout: float
    label: str = ""
    on_timer: Callable[[], None] | None = None  # crhelper's timer path
    started: bool = False
    done: bool = False
    timed_out: bool = False
    timer_fired: bool = False
    error: BaseException | None = None
    ended_at: float | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def deadline(self) -> float:
        return self.start + self.timeout

    @property
    def timer_at(self) -> float:
        return self.deadline - CRHELPER_TIMER_LEAD_SECONDS


class World:
    """Virtual wall clock plus a scheduler of invocation threads.

    Each invocation thread waits on its own semaphore, and the driving thread
    on another: handing the baton on wakes exactly one thread.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()
        self._ready: list[tuple[float, int, Invocation]] = []
        self._seq = itertools.count()
        self._baton: dict[int, threading.Semaphore] = {}  # id(invocation) -> its semaphore
        self._driver = threading.Semaphore(0)
        self._by_thread: dict[int, Invocation] = {}

    # -- the clock handlers see ---------------------------------------------------------
    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        invocation = self._by_thread.get(threading.get_ident())
        seconds = max(float(seconds), 0.0)
        if invocation is None:  # the test itself: just let time pass
            self.t += seconds
            return
        self.sleeps.append(seconds)
        wake = self.t + seconds
        if invocation.timer_fired:
            if wake >= invocation.deadline:
                self._park(invocation, invocation.deadline)
                invocation.timed_out = True
                raise LambdaTimedOut(invocation.label)
        elif wake >= invocation.timer_at:
            self._park(invocation, invocation.timer_at)
            invocation.timer_fired = True
            if invocation.on_timer is not None:
                invocation.on_timer()
            invocation.timed_out = True
            raise LambdaTimedOut(invocation.label)
        self._park(invocation, wake)

    def advance(self, seconds: float) -> None:
        """Let time pass from the test (between invocations)."""
        self.t += seconds

    # -- scheduling --------------------------------------------------------------------------
    def _park(self, invocation: Invocation, wake: float) -> None:
        with self._lock:
            heapq.heappush(self._ready, (wake, next(self._seq), invocation))
        self._driver.release()
        self._baton[id(invocation)].acquire()

    def spawn(self, invocation: Invocation) -> Invocation:
        """Start ``invocation`` at its ``start`` time (it runs once :meth:`run` reaches it)."""
        self.invocations.append(invocation)
        self._baton[id(invocation)] = threading.Semaphore(0)
        thread = threading.Thread(target=self._main, args=(invocation,), daemon=True, name=invocation.label)
        invocation.thread = thread
        with self._lock:
            heapq.heappush(self._ready, (invocation.start, next(self._seq), invocation))
        thread.start()
        return invocation

    def _main(self, invocation: Invocation) -> None:
        self._baton[id(invocation)].acquire()
        self._by_thread[threading.get_ident()] = invocation
        invocation.started = True
        try:
            invocation.body(invocation)
        except LambdaTimedOut:
            invocation.timed_out = True
        except BaseException as error:  # noqa: BLE001 - reported to the test by run()
            invocation.error = error
        finally:
            invocation.done = True
            invocation.ended_at = self.t
            self._by_thread.pop(threading.get_ident(), None)
            self._baton.pop(id(invocation), None)
            self._driver.release()

    def queued(self) -> list[Invocation]:
        """Invocations that have not started yet."""
        with self._lock:
            return [inv for _, _, inv in sorted(self._ready, key=lambda e: (e[0], e[1])) if not inv.started]

    def run(
        self, *, until: float | None = None, stop: Callable[[], bool] | None = None, limit: int = 10_000_000
    ) -> None:
        """Hand the baton on until nothing is left to run, the clock would pass
        ``until``, or ``stop()`` is true (checked after each step)."""
        for _ in range(limit):
            with self._lock:
                if not self._ready:
                    return
                wake, _, invocation = self._ready[0]
                if until is not None and wake > until:
                    self.t = max(self.t, until)
                    return
                heapq.heappop(self._ready)
            self.t = max(self.t, wake)
            self._baton[id(invocation)].release()
            self._driver.acquire()
            if invocation.error is not None:
                error, invocation.error = invocation.error, None
                raise error
            if stop is not None and stop():
                return
        raise AssertionError(f"the world did not settle in {limit} steps")
