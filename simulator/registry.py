"""Every call on the network: the live ones by sid (for the REST API to find and steer), the
results of those that ended, and the threads that run calls in the background."""

from __future__ import annotations

import threading
import time
from typing import Protocol

from simulator.control import CallControl, Complete, RedirectTo
from simulator.errors import RestError
from simulator.result import CallResult, CallView


class LiveCall(Protocol):
    """What the registry needs of a call (:class:`~simulator.call.SimulatedCall` is one)."""

    @property
    def sid(self) -> str: ...

    @property
    def control(self) -> CallControl: ...

    @property
    def result(self) -> CallResult: ...

    def view(self) -> CallView: ...

    def run(self) -> CallResult: ...


class CallHandle:
    """A call running in its own thread."""

    def __init__(self, call: LiveCall, thread: threading.Thread) -> None:
        self.call = call
        self._thread = thread

    @property
    def sid(self) -> str:
        return self.call.sid

    def result(self, timeout: float | None = 60.0) -> CallResult:
        """Wait (real ``timeout``) for the call to end; raise TimeoutError if it does not."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"call {self.sid} still running after {timeout} s")
        return self.call.result


class CallRegistry:
    """Thread-safe: calls register and finish from their own threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[str, LiveCall] = {}
        self._finished: dict[str, CallResult] = {}
        self._threads: list[threading.Thread] = []

    def register(self, call: LiveCall) -> None:
        with self._lock:
            self._live[call.sid] = call

    def finish(self, call: LiveCall) -> None:
        with self._lock:
            self._live.pop(call.sid, None)
            self._finished[call.sid] = call.result

    def start(self, call: LiveCall) -> CallHandle:
        """Run ``call`` in a background thread."""
        thread = threading.Thread(target=call.run, name=f"sim-call-{call.sid[-6:]}", daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()
        return CallHandle(call, thread)

    def wait(self, deadline: float) -> bool:
        """Wait until the background calls have ended, or the ``time.monotonic()`` deadline
        has passed; whether they all ended."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)

    def view(self, sid: str) -> CallView | None:
        with self._lock:
            live = self._live.get(sid)
            if live is not None:
                return live.view()
            result = self._finished.get(sid)
        return None if result is None else _result_view(result)

    def views(self) -> list[CallView]:
        with self._lock:
            live = [call.view() for call in self._live.values()]
            done = [_result_view(result) for result in self._finished.values()]
        return live + done

    def redirect(
        self, sid: str, *, url: str | None = None, method: str = "POST", twiml: str | None = None
    ) -> None:
        """Make a live call continue with new TwiML (REST ``Url`` / ``Twiml`` update)."""
        self._live_call(sid).control.post(RedirectTo(url=url, method=method, twiml=twiml))

    def complete(self, sid: str) -> None:
        """End a live call (REST ``Status=completed``)."""
        self._live_call(sid).control.post(Complete())

    def _live_call(self, sid: str) -> LiveCall:
        with self._lock:
            call = self._live.get(sid)
            if call is not None:
                return call
            known = sid in self._finished
        if known:
            raise RestError(400, 21220, "Call is not in-progress. Cannot redirect.")
        raise RestError(404, 20404, f"The requested resource Call {sid} was not found")


def _result_view(result: CallResult) -> CallView:
    return CallView(
        sid=result.call_sid,
        to=result.to,
        from_=result.from_,
        direction=result.direction,
        status=result.status,
        start_time=result.started_at,
        duration=result.duration,
        end_time=result.ended_at,
    )
