"""The service directory in the Open Referral UK shape: organisations run services; a service
has contacts with phone numbers, the areas it covers and the pathways it is filed under.
Every row carries its Open Referral UK id (``oruk_id``) so entries can be shared and reloaded."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, db, one_of, utcnow
from .vocabulary import ANSWER_DAYS, PATHWAYS, REFERRAL_ROUTES, STATUSES

ID_LENGTH = 36


def new_oruk_id() -> str:
    """A fresh Open Referral UK id (a UUID)."""
    return str(uuid.uuid4())



def _oruk_id() -> Mapped[str]:
    """The Open Referral UK id column every directory table has."""
    return mapped_column(String(ID_LENGTH), unique=True, default=new_oruk_id)


class DirectoryOrganisation(db.Model):
    """Who runs one or more services: a charity, an NHS trust, a council team."""

    __tablename__ = "directory_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    oruk_id: Mapped[str] = _oruk_id()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    services: Mapped[list["Service"]] = relationship(back_populates="organisation")


class Service(db.Model):
    """Something a man can use after release; referable ones take self-referrals at a visit."""

    __tablename__ = "directory_services"
    __table_args__ = (
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint("NOT referable OR next_steps <> ''", name="referable_next_steps"),
        CheckConstraint("referral_route = '' OR " + one_of("referral_route", REFERRAL_ROUTES),
                        name="referral_route"),
        CheckConstraint("referral_route <> 'email' OR referral_email <> ''",
                        name="route_email"),
        CheckConstraint("answer_days BETWEEN 1 AND 60", name="answer_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    oruk_id: Mapped[str] = _oruk_id()
    organisation_id: Mapped[int] = mapped_column(ForeignKey("directory_organisations.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    url: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    application_process: Mapped[str] = mapped_column(Text, default="")
    fees: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(200), default="")  # comma-separated names
    address: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    assured_date: Mapped[date | None]  # when someone last checked the entry
    assurer_email: Mapped[str] = mapped_column(String(254), default="")
    referable: Mapped[bool] = mapped_column(default=False)
    next_steps: Mapped[str] = mapped_column(Text, default="")  # "what happens next", in packs
    referral_contact: Mapped[str] = mapped_column(Text, default="")  # the receiving team
    referral_details: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    # How referrals reach it (REFERRAL_ROUTES; "" = not said yet), where, and how it answers.
    referral_route: Mapped[str] = mapped_column(String(10), default="")
    referral_email: Mapped[str] = mapped_column(String(254), default="")
    referral_instructions: Mapped[str] = mapped_column(Text, default="")
    answer_days: Mapped[int] = mapped_column(default=ANSWER_DAYS)
    ips: Mapped[bool] = mapped_column(default=False)  # an IPS service: job outcomes followed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[DirectoryOrganisation] = relationship(back_populates="services")
    pathways: Mapped[list["ServicePathway"]] = relationship(
        cascade="all, delete-orphan", order_by="ServicePathway.pathway")
    areas: Mapped[list["ServiceArea"]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceArea.id")
    contacts: Mapped[list["Contact"]] = relationship(
        cascade="all, delete-orphan", order_by="Contact.id")

    @property
    def pathway_codes(self) -> list[str]:
        """The pathways this service is filed under, in the pathways' own order."""
        codes = {link.pathway for link in self.pathways}
        return [code for code in PATHWAYS if code in codes]

    @property
    def area_names(self) -> list[str]:
        """The local authorities (or National) the service covers."""
        return [area.name for area in self.areas]

    @property
    def phones(self) -> list["Phone"]:
        """Every phone number of every contact, in the order they were added."""
        return [phone for contact in self.contacts for phone in contact.phones]

    @property
    def detail_codes(self) -> list[str]:
        """The details a referral to this service must carry."""
        return [code for code in self.referral_details.split(",") if code]


class ServicePathway(db.Model):
    """A service filed under a resettlement pathway (or urgent help)."""

    __tablename__ = "directory_service_pathways"
    __table_args__ = (CheckConstraint(one_of("pathway", PATHWAYS), name="pathway"),)

    service_id: Mapped[int] = mapped_column(
        ForeignKey("directory_services.id", ondelete="CASCADE"), primary_key=True)
    pathway: Mapped[str] = mapped_column(String(20), primary_key=True)


class ServiceArea(db.Model):
    """A local authority a service covers, or "National"."""

    __tablename__ = "directory_service_areas"
    __table_args__ = (UniqueConstraint("service_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    oruk_id: Mapped[str] = _oruk_id()
    service_id: Mapped[int] = mapped_column(
        ForeignKey("directory_services.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))


class Contact(db.Model):
    """A team or person to contact about a service; phone numbers hang off contacts."""

    __tablename__ = "directory_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    oruk_id: Mapped[str] = _oruk_id()
    service_id: Mapped[int] = mapped_column(
        ForeignKey("directory_services.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(120), default="")

    phones: Mapped[list["Phone"]] = relationship(
        cascade="all, delete-orphan", order_by="Phone.id")


class Phone(db.Model):
    """A phone number and what it is, like "Freephone, 24 hours"."""

    __tablename__ = "directory_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    oruk_id: Mapped[str] = _oruk_id()
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("directory_contacts.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(200), default="")
