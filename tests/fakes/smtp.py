"""A tiny SMTP server on loopback that keeps every message it receives (no aiosmtpd needed)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self._send("220 fake-smtp ready")
        data: list[bytes] = []
        reading = False
        while line := self.rfile.readline():
            if reading:
                if line in (b".\r\n", b".\n"):
                    self.server.messages.append(message_from_bytes(b"".join(data)))  # type: ignore[attr-defined]
                    data, reading = [], False
                    self._send("250 queued")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                self._send("250 fake-smtp")
            elif verb == b"DATA":
                reading = True
                self._send("354 end with .")
            elif verb == b"QUIT":
                self._send("221 bye")
                return
            else:
                self._send("250 ok")

    def _send(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class FakeSMTP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[Message] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@contextmanager
def fake_smtp() -> Iterator[FakeSMTP]:
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
