"""Every test runs with outbound connections limited to this machine (pytest.ini's --allow-hosts).

Nothing here sends a packet off the machine, even if the guard were missing: blocked addresses are only ever handed
to the guard with a stand-in object that is not a socket, so if the guard were off, the real `connect` would refuse
it with a TypeError before any system call.
"""

import socket
import threading
import warnings

import pytest
import pytest_socket

LOOPBACK_ONLY = {"127.0.0.0/8", "::1"}


class NotASocket:
    """What the guard inspects (`family`, `close()`); the real `socket.connect` rejects it as not a socket."""

    family = socket.AF_INET

    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True


def guarded_connect(address):
    target = NotASocket()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the guard warns as well as raising
        socket.socket.connect(target, address)
    return target


def test_the_allow_list_is_loopback_only(pytestconfig):
    assert set(pytestconfig.getoption("--allow-hosts").split(",")) == LOOPBACK_ONLY
    assert pytestconfig.getoption("--allow-unix-socket") is True
    assert not pytestconfig.getoption("--force-enable-socket")


def test_connect_is_the_guarded_one():
    assert socket.socket.connect is not pytest_socket._true_connect


@pytest.mark.parametrize("address", [("192.0.2.1", 443), ("10.0.0.1", 80), ("8.8.8.8", 53), ("2001:db8::1", 443, 0, 0)])
def test_other_addresses_are_refused_by_the_guard(address):
    # Fail before touching anything if the guard is not installed, so nothing below can reach the real connect.
    assert socket.socket.connect is not pytest_socket._true_connect
    target = NotASocket()
    with pytest.raises(pytest_socket.SocketConnectBlockedError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        socket.socket.connect(target, address)
    assert target.closed  # the guard closes what it refuses


def test_a_host_name_is_refused_without_being_resolved(monkeypatch):
    assert socket.socket.connect is not pytest_socket._true_connect

    def no_lookups(*args, **kwargs):
        raise AssertionError("the guard must not resolve names")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookups)
    with pytest.raises(pytest_socket.SocketConnectBlockedError):
        guarded_connect(("example.com", 443))


@pytest.mark.parametrize("address", [("127.0.0.1", 9), ("127.1.2.3", 9), ("::1", 9, 0, 0)])
def test_loopback_addresses_pass_through_to_the_real_connect(address):
    # The stand-in reaches the real connect, which rejects it as not a socket: allowed, and still nothing sent.
    with pytest.raises(TypeError):
        guarded_connect(address)


def test_a_real_loopback_connection_works():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        accepted = threading.Thread(target=lambda: listener.accept()[0].close(), daemon=True)
        accepted.start()
        with socket.create_connection(listener.getsockname(), timeout=5):
            pass
        accepted.join(5)


def test_unix_sockets_work(tmp_path):
    path = str(tmp_path / "guard.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
