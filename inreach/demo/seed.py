"""Fictional demo data: an account per role, and the flag that puts the demo banner on pages."""

from sqlalchemy import select

from ..accounts.models import User
from ..accounts.roles import ROLES
from ..accounts.services import create_user
from ..database import db
from ..errors import DomainError
from ..site.models import DEMO, SiteSetting, is_demo

DEFAULT_PASSWORD = "change-me-demo-only"  # noqa: S105  (published demo password, demo data only)
DEMO_NAMES = {
    "admin": "Ada Admin (demo)",
    "organiser": "Olu Organiser (demo)",
    "volunteer": "Val Volunteer (demo)",
    "auditor": "Aud Auditor (demo)",
}


def demo_email(role: str) -> str:
    """The demo login for a role."""
    return f"{role}@example.org"


def seed(password: str) -> list[str]:
    """Fill an empty or demo database with demo data; running it again changes nothing."""
    has_users = db.session.scalar(select(User.id).limit(1)) is not None
    if has_users and not is_demo():
        raise DomainError("not_demo", "This database holds real accounts; seed-demo only fills "
                                      "an empty database or one it filled before.")
    if not is_demo():
        db.session.add(SiteSetting(key=DEMO, value="yes"))
        db.session.commit()
    created = []
    for role in ROLES:
        email = demo_email(role)
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(email, DEMO_NAMES[role], role, password)
            created.append(email)
    return created
