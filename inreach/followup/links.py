"""The receiving team's link to answer one referral without an account. The token is random
and only its hash is stored; issuing a new link for a referral replaces the old one. What the
link page shows and records lives in ``link_views`` and ``answers``."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ..database import db, utcnow, write_connection
from .models import ReferralLink


def token_hash(token: str) -> str:
    """The stored form of a token (SHA-256: tokens are long and random, so no key is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_links(referral_ids: list[int]) -> dict[int, str]:
    """A fresh link token for each referral, replacing any earlier link; inside a write."""
    now = utcnow()
    expires = now + timedelta(days=current_app.config["REFERRAL_LINK_DAYS"])
    write_connection().execute(
        update(ReferralLink).where(ReferralLink.referral_id.in_(referral_ids),
                                   ReferralLink.replaced_at.is_(None))
        .values(replaced_at=now))
    tokens = {referral_id: secrets.token_urlsafe(32) for referral_id in referral_ids}
    db.session.add_all(ReferralLink(referral_id=referral_id, token_hash=token_hash(token),
                                    created_at=now, expires_at=expires)
                       for referral_id, token in tokens.items())
    return tokens


def link_url(token: str) -> str:
    """The full address of a link, at PUBLIC_URL (emails are read away from this server).
    Built from the app's URL map, so a worker with no request can build it too."""
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    adapter = current_app.url_map.bind("inreach", script_name="/")
    return public + adapter.build("referral_link.answer", {"token": token})
