"""The composition root: `build_sandbox(settings, store, clock)` makes a whole sandbox.

One function builds every sandbox, whoever serves it: `python -m dots_sandbox` (dots_sandbox/
runner.py), the tests, a thread of another process (`Sandbox.serve_in_thread`). It joins the
two flows over one store: the request path (dots_sandbox/request/: the ASGI app, its routes,
validators and handlers, each operation run on the loop or a store thread as its declared store
access says) and the background path (dots_sandbox/background/: settlement timers and webhook
deliveries on a thread of their own).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dots_sandbox.background.changes import Changes
from dots_sandbox.background.outbox import DeliveryPlan, Dispatcher
from dots_sandbox.background.retention import Pruner
from dots_sandbox.background.schedule import RetryPolicy
from dots_sandbox.background.settlement import Settler
from dots_sandbox.background.webhooks import Receiver
from dots_sandbox.background.worker import Worker
from dots_sandbox.request.control import ControlHandlers, with_control_routes
from dots_sandbox.request.handlers import Handlers
from dots_sandbox.request.operations import Operation, operation
from dots_sandbox.request.pipeline import SandboxApp
from dots_sandbox.request.routing import Router
from dots_sandbox.request.validation import OperationRules, compile_rules
from dots_sandbox.settings import Settings
from dots_sandbox.store import Store, open_store
from dots_spec.document import load_spec

if TYPE_CHECKING:
    from dots_sandbox.in_thread import Served

Clock = Callable[[], float]


def _compiled(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, OperationRules]]:
    """`spec` with the control routes, and its compiled validation rules."""
    served = with_control_routes(spec)
    return served, compile_rules(served)


@functools.cache
def _default_spec() -> tuple[dict[str, Any], dict[str, OperationRules]]:
    """`_compiled(load_spec())`, once per process: compiling the validators costs about 5 ms, and a test
    kit builds a sandbox per test. Both are only read, never changed, so sandboxes share them."""
    return _compiled(load_spec())


class Sandbox:
    """A built sandbox: `app` (the ASGI app, a FrontApp) over `store`, with its background path.

    `operations` maps each operationId to its handler and where it runs; `settler` applies due
    settlement timers and `dispatcher()` makes a webhook dispatcher, for tests that drive the
    background path themselves; the lifespan of a served `app` starts it
    on a thread (`start_background`) and stops it and closes the store (`close`).
    """

    def __init__(self, settings: Settings, store: Store, clock: Clock, spec: dict[str, Any] | None = None) -> None:
        spec, rules = _default_spec() if spec is None else _compiled(spec)
        self.settings = settings
        self.store = store
        self._receivers: dict[str, Receiver] = {receiver.url: receiver for receiver in settings.webhooks}
        self.changes = Changes(tuple(self._receivers), settings.settlement_seconds, clock)
        self.settler = Settler(store, self.changes)
        self.worker: Worker | None = None
        # The webhook dispatcher's plan (Dispatcher's `plan`): None in production; a test kit sets its own.
        self.delivery_plan: DeliveryPlan | None = None
        self._worker_lock = threading.Lock()
        handlers = Handlers(store, spec, self.changes)
        control = ControlHandlers(store, handlers, self.changes)
        operations: dict[str, Operation] = {}
        for operation_id in rules:
            owner = next((each for each in (handlers, control) if operation_id in each.ACCESS), None)
            if owner is None:  # fail at start-up, like stripe-mock's "Missing fixture"
                raise NotImplementedError(f"openapi.yaml has operation {operation_id!r}; the sandbox does not")
            handler = getattr(owner, operation_id)
            operations[operation_id] = operation(handler, owner.ACCESS[operation_id], store.concurrency)
        self.operations: Mapping[str, Operation] = operations
        self.app = SandboxApp(settings, Router(spec), rules, operations, store_threads=store.concurrency, lifespan=self)

    def __repr__(self) -> str:
        return f"Sandbox({self.settings!r})"

    def dispatcher(self, **options: Any) -> Dispatcher | None:
        """A webhook dispatcher for the receivers (None when there are none); `options` for tests.

        Its schedule runs on the sandbox's clock (a test kit's may be ahead: `advance`), its leases
        on the real time (`time.time`), so moving the clock never ends a lease early.
        """
        if not self._receivers:
            return None
        options.setdefault("policy", RetryPolicy(self.settings.webhook_retry_seconds))
        options.setdefault("timeout", self.settings.webhook_timeout_seconds)
        options.setdefault("attempts_per_receiver", self.settings.webhook_attempts_per_receiver)
        options.setdefault("clock", self.changes.clock)
        options.setdefault("lease_clock", time.time)
        options.setdefault("plan", self.delivery_plan)
        return Dispatcher(self.store, tuple(self._receivers.values()), **options)

    def add_receiver(self, receiver: Receiver) -> None:
        """Register a webhook receiver while the sandbox runs (SANDBOX_WEBHOOKS' are registered at start).

        Each event committed from now on gets a delivery to it, under the sandbox's retry policy and
        timeout; events committed before do not. Registration is this process's alone: it is not
        stored, so other instances sharing the database neither create nor send deliveries for it.
        Raises ValueError when a receiver with this URL is registered already.
        """
        with self._worker_lock:
            if receiver.url in self._receivers:
                raise ValueError(f"webhook receiver {receiver.url} is registered already")
            self._receivers[receiver.url] = receiver
            worker = self.worker
            if worker is not None and worker.dispatcher is None:
                worker.dispatcher = self.dispatcher()
            elif worker is not None and worker.dispatcher is not None:
                worker.dispatcher.add_receiver(receiver)
            # Last, so no event names the receiver before a dispatcher can send to it.
            self.changes.receivers = tuple(self._receivers)

    def remove_receiver(self, url: str) -> None:
        """Unregister the receiver at `url`: no new deliveries to it, and its pending ones stay unsent.

        Its attempts in flight are abandoned (connections closed, nothing recorded), which frees its
        slots (dots_sandbox/background/outbox.py); they are sent again only if it is added back.

        Raises LookupError when no receiver has this URL.
        """
        with self._worker_lock:
            if self._receivers.pop(url, None) is None:
                raise LookupError(f"no webhook receiver {url} is registered")
            self.changes.receivers = tuple(self._receivers)
            if self.worker is not None and self.worker.dispatcher is not None:
                self.worker.dispatcher.remove_receiver(url)

    def start_background(self) -> None:
        """Start settling, delivering and pruning on a background thread (lifespan startup does it)."""
        with self._worker_lock:
            settings = self.settings
            pruner = Pruner(self.store, settings.client_id, settings.webhook_retention_seconds, self.changes.clock)
            self.worker = Worker(self.settler, self.dispatcher(), pruner=pruner)
            self.changes.wake = self.worker.wake
            self.worker.start()

    def stop_background(self) -> None:
        """Stop the background thread, if it runs, and wait for it."""
        with self._worker_lock:
            worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()

    def close(self) -> None:
        """Stop the background thread and close the store (lifespan shutdown does it)."""
        self.stop_background()
        self.store.close()

    @contextlib.contextmanager
    def serve_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[Served]:
        """Serve this sandbox on its own front from a thread of this process (see dots_sandbox/in_thread.py)."""
        from dots_sandbox.in_thread import serve_in_thread  # noqa: PLC0415 (the front only when served)

        with serve_in_thread(self.app, self.settings, host, port) as served:
            yield served


def build_sandbox(settings: Settings, store: Store | None = None, clock: Clock = time.time) -> Sandbox:
    """The sandbox for `settings` over `store` (None: open `settings.db`), its times from `clock` (epoch seconds).

    Raises StoreCannotOpen or StoreRefused when the store cannot be opened (dots_sandbox.store.open_store),
    and NotImplementedError naming an operation of openapi.yaml that has no handler.
    """
    return Sandbox(settings, open_store(settings.db, settings.synchronous) if store is None else store, clock)
