"""A real SMTP server on loopback for tests of sending email (aiosmtpd): STARTTLS or TLS from
the first byte with a certificate from a throwaway CA (trustme), AUTH LOGIN/PLAIN with a
fictional user, and every message it accepts kept, parsed, with whether it came encrypted and
who logged in. It can be told to refuse recipients (a 5xx), and can be started late on a port
chosen before (a server that was down, then came back)."""

import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "inreach-test"
PASSWORD = "fictional mail password"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    encrypted: bool
    login: str | None


class Handler:
    """Keeps each accepted message; refuses recipients with ``refusal`` when it is set."""

    def __init__(self):
        self.received: list[Received] = []
        self.refusal: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusal:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        self.received.append(Received(
            envelope.mail_from, list(envelope.rcpt_tos),
            message_from_bytes(envelope.content, policy=policy.default),
            server.transport.get_extra_info("ssl_object") is not None, login))
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """The fictional user with the right password logs in; anyone else gets a 535."""
    good = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode())
    return AuthResult(success=good, handled=False, auth_data=USER.encode() if good else None)


def free_port() -> int:
    """A TCP port on loopback nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class MailServer:
    """The server's settings for the app, its handler and its controller (once started)."""

    port: int
    ca_file: str
    security: str
    server_context: ssl.SSLContext
    handler: Handler = field(default_factory=Handler)
    controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def config(self, **overrides) -> dict:
        """App settings that send through this server with the fictional login."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port,
                "MAIL_SECURITY": self.security, "MAIL_CA_FILE": self.ca_file,
                "MAIL_USERNAME": USER, "MAIL_PASSWORD": PASSWORD, "MAIL_TIMEOUT_SECONDS": 5,
                "MAIL_FROM": "inreach@inreach.test", **overrides}

    def start(self) -> None:
        """Listen on the chosen port: STARTTLS required before login, or TLS from the start."""
        if self.security == "tls":
            options = {"ssl_context": self.server_context, "auth_require_tls": False}
        else:
            options = {"tls_context": self.server_context, "require_starttls": True,
                       "auth_require_tls": True}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     authenticator=authenticator, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def certificate_authority(tmp_path):
    """A throwaway CA, its certificate written to a file for MAIL_CA_FILE."""
    authority = trustme.CA()
    ca_file = tmp_path / "mail-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return authority, str(ca_file)


@pytest.fixture
def make_mail_server(certificate_authority):
    """Mail servers on loopback with a certificate for 127.0.0.1; started unless told not to,
    stopped after the test."""
    authority, ca_file = certificate_authority
    servers = []

    def make(security: str = "starttls", started: bool = True) -> MailServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        server = MailServer(free_port(), ca_file, security, context)
        servers.append(server)
        if started:
            server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def mail_server(make_mail_server):
    """A running server that requires STARTTLS before AUTH LOGIN/PLAIN."""
    return make_mail_server()
