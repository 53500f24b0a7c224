"""A real SMTP server (aiosmtpd) on loopback for the tests.

`smtp_server` yields a running server that records every message it accepts. `stop()` and
`start()` simulate an outage (a fresh server comes back on the same port); setting `reject` to
an SMTP reply makes it refuse each message at MAIL FROM: "451 4.3.0 Try again later" refuses
one, "421 4.3.2 Shutting down" hangs up as well (the client closes on 421)."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from clientela.settings import Settings

HOST = "127.0.0.1"


def smtp_settings(port: int, **overrides) -> Settings:
    values = {"smtp_host": HOST, "smtp_port": port, "public_url": "http://clientela.test", **overrides}
    return Settings(_env_file=None, **values)


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port: int = probe.getsockname()[1]
        self.messages: list[EmailMessage] = []
        self.reject: str | None = None
        self._controller: Controller | None = None

    # aiosmtpd calls these from its own thread; list.append is atomic.
    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        if self.reject:
            return self.reject
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 2.0.0 Message accepted"

    def start(self) -> None:
        assert self._controller is None, "already running"
        self._controller = Controller(self, hostname=HOST, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        self.messages.clear()

    def settings(self, **overrides) -> Settings:
        return smtp_settings(self.port, **overrides)


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
