"""Emails to receiving services: what they say, and getting them to the mail server.

- What they say: the subject and body name no man. The body lists referrals by form reference,
  each with its own answer link; names and details travel only in the attached PDF.
- Sending: SMTP with STARTTLS (``MAIL_SECURITY = "starttls"``) or TLS from the first byte
  (``"tls"``), the certificate checked (against ``MAIL_CA_FILE`` when set), a login when
  ``MAIL_USERNAME`` is set, and a time limit. Without ``MAIL_SERVER`` the email is written to
  ``MAIL_OUTBOX_DIR`` (else ``instance/outbox/``) as an ``.eml`` file instead, for the demo and
  for trying inreach without a mail server.
- Failing: ``SendFailure`` says in safe words what went wrong (never an address or a password;
  the server's own text is left out, as it may quote either) and whether trying again could
  help: a 5xx refusal or a refused login will not, a server that is down or busy may.
"""

import os
import secrets
import smtplib
import ssl
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from ..database import utcnow
from ..errors import DomainError


class SendFailure(DomainError):
    """An email did not reach the mail server; ``permanent`` when retrying cannot help."""

    def __init__(self, reason: str, permanent: bool):
        super().__init__("send_failed", f"sending failed: {reason}")
        self.reason = reason
        self.permanent = permanent


def referrals_email(to: str, service_name: str, prison_name: str, visit_date: date,
                    links: list[tuple[str, str]], answer_days: int, pdf: bytes) -> EmailMessage:
    """The email carrying a visit's referrals to a service: each referral by form reference with
    its answer link, the PDF of the men's details attached."""
    day = f"{visit_date.day} {visit_date:%B %Y}"
    count = f"{len(links)} self-referral{'s' if len(links) != 1 else ''}"
    lines = [f"Hello {service_name} team,", "",
             f"Here {'are' if len(links) != 1 else 'is'} {count} to your service, made at an "
             f"in-reach visit to {prison_name} on {day}. Each man agreed to share his details "
             "with you. His details are in the attached PDF, one page per man; this email "
             "names nobody.", "",
             "Referrals, by form reference, each with its own link to answer (no login needed):",
             ""]
    lines += [f"  {reference}: {url}" for reference, url in links]
    lines += ["", "What to do:",
              "1. Open the attached PDF and keep it in your service's secure records.",
              "2. Contact each man as your service normally would.",
              f"3. Within {answer_days} working days, open each referral's link and say "
              "whether you accepted it, declined it or could not contact him, and the date of "
              "first contact when there is one.", "",
              "Each link works for that one referral only. Please do not forward this email.", "",
              "Sent by inreach for the in-reach team."]
    message = _message(to, f"Referrals from inreach: {prison_name} visit {day}", lines)
    message.add_attachment(pdf, maintype="application", subtype="pdf",
                           filename=f"referrals-{visit_date.isoformat()}.pdf")
    return message


def chase_email(to: str, reference: str, url: str) -> EmailMessage:
    """A reminder for one referral: its form reference and a fresh link; no name, no PDF."""
    lines = ["Hello,", "",
             f"We are still waiting for an answer on referral {reference}, sent to you by "
             "inreach.", "",
             f"Answer here (no login needed): {url}", "",
             "Say whether you accepted it, declined it or could not contact him, and the date "
             "of first contact when there is one. This link replaces any earlier one for this "
             "referral.", "",
             "Sent by inreach for the in-reach team."]
    return _message(to, f"Still waiting for an answer: referral {reference}", lines)


def _message(to: str, subject: str, lines: list[str]) -> EmailMessage:
    """A plain-text email from MAIL_FROM, with a date and a unique id."""
    sender = current_app.config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(utcnow().timestamp())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content("\n".join(lines) + "\n")
    return message


def written_to_outbox() -> bool:
    """Whether emails are written to the outbox folder rather than sent (no MAIL_SERVER)."""
    return not current_app.config["MAIL_SERVER"]


def send(message: EmailMessage) -> None:
    """Hand the email to the mail server, or write it to the outbox folder without one;
    SendFailure when that did not happen."""
    if written_to_outbox():
        _write_eml(message)
    else:
        _send_smtp(message)


def outbox_dir() -> Path:
    """Where emails are written without a mail server."""
    folder = current_app.config["MAIL_OUTBOX_DIR"]
    return Path(folder) if folder else Path(current_app.instance_path) / "outbox"


def _write_eml(message: EmailMessage) -> Path:
    """The email as a new .eml file only its owner can read (it carries personal details)."""
    folder = outbox_dir()
    name = f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(6)}.eml"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(message.as_bytes())
    except OSError as error:
        raise SendFailure("the outbox folder could not be written to", False) from error
    return folder / name


def _send_smtp(message: EmailMessage) -> None:
    """Send through the configured server; any error becomes a SendFailure."""
    config = current_app.config
    try:
        server = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        raise failure(error) from error
    try:
        if config["MAIL_USERNAME"]:
            server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise failure(error) from error
    finally:
        _close(server)


def _connect(config) -> smtplib.SMTP:
    """An encrypted connection to the mail server, its certificate checked."""
    security = config["MAIL_SECURITY"]
    if security not in ("starttls", "tls"):
        raise SendFailure("MAIL_SECURITY must be starttls or tls", True)
    context = ssl.create_default_context(cafile=config["MAIL_CA_FILE"] or None)
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], \
        config["MAIL_TIMEOUT_SECONDS"]
    if security == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    server = smtplib.SMTP(host, port, timeout=timeout)
    try:
        server.starttls(context=context)
    except BaseException:
        server.close()
        raise
    return server


def _close(server: smtplib.SMTP) -> None:
    """Say goodbye; once the message was accepted, a goodbye that fails changes nothing."""
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()


def failure(error: Exception) -> SendFailure:
    """What went wrong, in safe words, and whether a retry could help."""
    if isinstance(error, SendFailure):
        return error
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return SendFailure(f"the mail server refused inreach's login ({error.smtp_code})", True)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = min(code for code, _ in error.recipients.values())
        return _by_code(code, "the mail server refused the service's address")
    if isinstance(error, smtplib.SMTPResponseException):
        return _by_code(error.smtp_code, "the mail server refused the email")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return SendFailure("the mail server does not offer STARTTLS or login", True)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return SendFailure("the mail server closed the connection", False)
    if isinstance(error, smtplib.SMTPException):
        return SendFailure("the mail server did not take the email", False)
    if isinstance(error, ssl.SSLCertVerificationError):
        return SendFailure("the mail server's certificate could not be checked", True)
    if isinstance(error, ssl.SSLError):
        return SendFailure("the secure connection to the mail server failed", False)
    if isinstance(error, TimeoutError):
        return SendFailure("the mail server did not answer in time", False)
    return SendFailure("the mail server could not be reached", False)


def _by_code(code: int, what: str) -> SendFailure:
    """A refusal by its SMTP code: 5xx for good, 4xx for now."""
    if 500 <= code < 600:
        return SendFailure(f"{what} ({code})", True)
    return SendFailure(f"{what} for now ({code})", False)
