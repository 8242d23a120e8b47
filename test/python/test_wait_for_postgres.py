"""lib/governance/wait_for_postgres.py, run the way the migration Job's init container runs it
(`python -c <program>`), against a stand-in server on 127.0.0.1 that answers the startup message
as PostgreSQL would."""
from __future__ import annotations

import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PROGRAM = (Path(__file__).resolve().parents[2] / "lib" / "governance" / "wait_for_postgres.py").read_text().strip()


def error(code: str) -> bytes:
    fields = b"SFATAL\0C" + code.encode() + b"\0Mno\0\0"
    return b"E" + struct.pack("!i", len(fields) + 4) + fields


AUTH_MD5 = b"R" + struct.pack("!ii", 12, 5) + b"salt"


@dataclass
class Server:
    """Answers each connection with the next reply (the last one repeats) and keeps what it received."""

    replies: list[bytes]
    received: list[bytes] = field(default_factory=list)
    sock: socket.socket = field(default_factory=socket.socket)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                self.received.append(conn.recv(4096))
                conn.sendall(self.replies.pop(0) if len(self.replies) > 1 else self.replies[0])


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server([AUTH_MD5])
    s.sock.bind(("127.0.0.1", 0))
    s.sock.listen()
    threading.Thread(target=s.serve, daemon=True).start()
    try:
        yield s
    finally:
        s.sock.close()


def wait(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROGRAM], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True,
                          timeout=30, check=False)


def test_an_authentication_request_means_ready_and_no_password_is_sent(server: Server) -> None:
    r = wait({"DATABASE_URL": f"postgresql://litellm:s3cret-pw@127.0.0.1:{server.port}/llm%20db?sslmode=disable"})
    assert (r.returncode, r.stdout) == (0, f"wait-for-database: 127.0.0.1:{server.port} accepts connections (attempt 1)\n")
    startup = server.received[0]
    assert struct.unpack("!ii", startup[:8]) == (len(startup), 196608)
    assert startup[8:] == b"user\0litellm\0database\0llm db\0\0"
    assert b"s3cret" not in startup and "s3cret" not in r.stdout + r.stderr


def test_starting_up_is_waited_for_and_any_other_error_means_it_answers(server: Server) -> None:
    server.replies = [error("57P03"), AUTH_MD5]
    r = wait({"DATABASE_HOST": f"127.0.0.1:{server.port}", "DATABASE_USERNAME": "u", "DATABASE_NAME": "d"})
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        f"wait-for-database: 127.0.0.1:{server.port} not ready yet (the database system is starting up); retrying",
        f"wait-for-database: 127.0.0.1:{server.port} accepts connections (attempt 2)",
    ]
    assert server.received[0][8:] == b"user\0u\0database\0d\0\0"
    server.replies = [error("28P01")]  # password authentication failed: the server is up
    r = wait({"DATABASE_HOST": f"127.0.0.1:{server.port}"})
    assert r.returncode == 0
    assert "answers (SQLSTATE 28P01); the migration will report any login problem" in r.stdout


def test_bounded_it_fails_naming_the_server_and_the_last_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the test runs: nothing listens there
    r = wait({"DATABASE_HOST": f"127.0.0.1:{port}", "WAIT_TIMEOUT_SECONDS": "1"})
    assert r.returncode == 1
    assert r.stderr.strip().startswith(f"wait-for-database: 127.0.0.1:{port} did not accept connections within 1s (last: ConnectionRefusedError")
    r = wait({})
    assert (r.returncode, r.stderr.strip()) == (1, "wait-for-database: neither DATABASE_URL nor DATABASE_HOST names a host")
