"""The real app on a real loopback port, with the simulated telephone network around it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app
from hotline.demo import seed
from ivr.db import transaction
from simulator.network import Network, NetworkConfig
from simulator.rest_standin import RestStandin
from simulator.server import LoopbackServer
from simulator.signalling import SignallingStandin
from tests.support.clocks import TestClock
from tests.support.signalling import phone_settings, signalling


@dataclass
class LiveHotline:
    app: Flask
    server: LoopbackServer
    network: Network
    standin: RestStandin
    signalling: SignallingStandin | None = None

    @property
    def hotline(self) -> Any:
        return self.app.extensions["hotline"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_hotline(
    config: dict[str, Any], clock: TestClock | None = None, *, browser_phone: Path | None = None
) -> Iterator[LiveHotline]:
    """Serve :func:`create_app` on loopback, on *clock* (a fresh :class:`TestClock` unless
    given); the network and REST stand-in point at it. With *browser_phone* (a folder for
    its TLS certificate), the agents' browser phone is set up against the signalling
    stand-in."""
    clock = clock or TestClock()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    network = Network(NetworkConfig(base_url=base_url, hold_timeout=10.0))
    with ExitStack() as stack:
        phone = None
        if browser_phone is not None:
            phone = stack.enter_context(signalling(network, browser_phone, clock))
            config = {**config, **phone_settings(phone.host)}
        standin = RestStandin(network).start()
        app = create_app(
            {**config, "public_base_url": base_url, "twilio_api_base_url": standin.url},
            clock=clock,
        )
        with transaction(app.extensions["hotline"].sessions) as session:
            seed(session, clock.now())
        server = LoopbackServer(app, port=port).start()
        try:
            yield LiveHotline(app, server, network, standin, phone)
        finally:
            network.wait_idle(10)
            server.stop()
            standin.stop()
            network.close()
            app.extensions["hotline"].db.dispose()
