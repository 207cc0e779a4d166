"""Response headers, safe redirects and cookie settings that every page shares, and the keyed
hash that counts failed attempts without keeping who made them."""

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def add_security_headers(response):
    """Headers on every response; no caching of anything but the public static files."""
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def safe_next(target: str | None) -> str | None:
    """The target if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        """Secure when configured, or when this request is HTTPS."""
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def keyed_hash(text: str) -> str:
    """HMAC-SHA256 of the text under the app's SECRET_KEY, in hex: the same text gives the same
    value, so attempts can be counted, but the text cannot be read back or guessed offline
    without the key."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def client_key(purpose: str, address: str | None) -> str:
    """A keyed hash of a client's address for one purpose ("client" for logging in,
    "referral-link" for answer links), so failures from one client are counted without storing
    its address, and one purpose's counts cannot be matched with another's."""
    return keyed_hash(f"{purpose}:{address or 'unknown'}")
