"""The consent wording read to men, kept in versions: a referral set stores the version he
heard, so what he agreed to can always be shown exactly."""

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..database import db, writes
from ..errors import DomainError
from .models import ConsentWording

FIRST_WORDING = (
    "We would like to send your name and the details you give us today to the services you "
    "choose, so they can contact you after you are released. We will only send them to the "
    "services you say yes to. You can say no to any of them and still get your pack with their "
    "phone numbers. You can change your mind at any time by telling your probation officer or "
    "the service. We keep these details safely and delete them after your release."
)


def current_wording() -> ConsentWording:
    """The newest wording. Until a record is saved or a new version published, that is the
    first wording, not yet stored (reading a page never writes)."""
    latest = db.session.scalar(select(ConsentWording).order_by(ConsentWording.version.desc())
                               .limit(1))
    return latest or ConsentWording(version=1, text=FIRST_WORDING)


# Every referral save asks for this, so it is built once (building costs more than running).
STORED_ID = select(ConsentWording.id).where(ConsentWording.version == bindparam("version"))


def wording_id_for(version: int | None) -> int:
    """The id of the wording with this version number, as ``wording_version`` finds it: once
    it is stored, in one plain query."""
    stored = db.session.connection().execute(STORED_ID, {"version": version}).scalar()
    return wording_version(version).id if stored is None else stored


def wording_version(version: int | None) -> ConsentWording:
    """The wording with this version number (the first is stored when first used), or an
    error on the consent field."""
    wording = _stored(version)
    if wording is None and version == 1:
        wording = _first_stored()
    if wording is None:
        raise DomainError("bad_consent_version", "The consent wording on this form is not one "
                          "we know. Reload the page and read him the wording shown.", "consent")
    return wording


def _stored(version: int | None) -> ConsentWording | None:
    """The stored wording with this version number, if any."""
    return db.session.scalar(select(ConsentWording).where(ConsentWording.version == version))


def _first_stored() -> ConsentWording:
    """The first wording, stored now unless it is already. Two tablets may store it at the same
    moment: the database's unique version decides, and the loser reads the winner's row."""
    if _any_stored():
        return _stored(1)
    try:
        with db.session.begin_nested():
            wording = ConsentWording(version=1, text=FIRST_WORDING)
            db.session.add(wording)
    except IntegrityError:
        return _stored(1)
    return wording


def _any_stored() -> bool:
    """Whether any wording is stored yet."""
    return db.session.scalar(select(ConsentWording.id).limit(1)) is not None


@writes
def publish_wording(text: str, actor_id: int) -> ConsentWording:
    """Store a new version of the wording; forms use it from now on."""
    text = text.strip()
    if len(text) < 40:
        raise DomainError("wording_short", "Write the full wording read to men", "text")
    if not _any_stored():  # forms already showed the first wording as version 1
        db.session.add(ConsentWording(version=1, text=FIRST_WORDING))
        db.session.flush()
    latest = db.session.scalar(select(func.max(ConsentWording.version)))
    wording = ConsentWording(version=latest + 1, text=text)
    db.session.add(wording)
    db.session.flush()
    record("consent_wording.published", actor_id, "consent_wording", wording.id)
    db.session.commit()
    return wording
