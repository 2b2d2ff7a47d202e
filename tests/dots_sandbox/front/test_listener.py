"""The listening socket every server on the front is given (dots_sandbox/front/listener.py)."""

from __future__ import annotations

import socket

import pytest

from dots_sandbox.front.listener import bind, listening_line, url_of


def test_bind_listens_on_a_free_port_without_blocking() -> None:
    """Port 0: a real port is bound and listening, and the socket does not block (an event loop serves it)."""
    sock = bind("127.0.0.1", 0)
    try:
        host, port = sock.getsockname()
        assert (host, sock.getblocking()) == ("127.0.0.1", False)
        assert port > 0
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        sock.close()


def test_bind_refuses_a_port_taken() -> None:
    """A port another socket listens on is an OSError at once."""
    taken = bind("127.0.0.1", 0)  # SO_REUSEADDR never lets a second socket bind a port one listens on
    try:
        with pytest.raises(OSError, match="in use"):
            bind("127.0.0.1", taken.getsockname()[1]).close()
    finally:
        taken.close()


def test_the_listening_line_names_the_tool_and_its_url() -> None:
    """`<tool> listening on URL`; url_of reads the URL back (facts after it ignored) and None from other lines."""
    line = listening_line("dots sandbox", "http://127.0.0.1:8080/api")
    assert line == "dots sandbox listening on http://127.0.0.1:8080/api"
    assert url_of(line + "\n") == "http://127.0.0.1:8080/api"
    assert url_of("contract proxy listening on http://127.0.0.1:1/api (upstream x)") == "http://127.0.0.1:1/api"
    assert url_of("database: :memory:") is None
    assert url_of("dots sandbox listening on ") is None
