"""Prisons we visit. Archived rather than deleted once a visit uses them."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import db


class Prison(db.Model):
    """A prison: its code (e.g. WSI), address, main contact and what visitors must know."""

    __tablename__ = "prisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    visiting_notes: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
