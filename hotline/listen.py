"""Whether `ivr serve` can listen where it is asked to, checked before anything starts."""

from __future__ import annotations

import errno
import socket

from werkzeug.serving import get_sockaddr, select_address_family


def address_problem(host: str, port: int) -> str | None:
    """Why the service cannot listen on *host*:*port*, in words a user can act on; None if it can.

    Binds a socket the way werkzeug's server does (same address family, ``SO_REUSEADDR``), so
    a port another program listens on is in use and one a stopped server left in TIME_WAIT is
    free, as they are for the server itself. A Unix socket path is never in use: the server
    replaces it.
    """
    family = select_address_family(host, port)
    if family == socket.AF_UNIX:
        return None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(get_sockaddr(host, port, family))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"{host}:{port} is already in use by another program (the service, started "
                    f"earlier?). Start on another port: make run PORT={port + 1}, "
                    f"or ivr serve --port {port + 1}"
                )
            return f"cannot listen on {host}:{port}: {error.strerror or error}"
    return None
