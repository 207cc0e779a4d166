"""Site-wide settings kept in the database (e.g. whether it holds demo data)."""

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from ..database import db

DEMO = "demo_data"


class SiteSetting(db.Model):
    """A named setting and its text value."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


def is_demo() -> bool:
    """Whether this database was filled by seed-demo (every page then says so)."""
    return db.session.scalar(select(SiteSetting.value).where(SiteSetting.key == DEMO)) == "yes"
