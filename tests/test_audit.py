"""The audit trail for an information-governance lead: every recorded action in words, filters
by who, action, object and days (bad ones told plainly), the CSV download (safe cells, itself
audited), and tamper evidence: the hash chain, ``audit-verify``, concurrent writers."""

import ast
import csv
import io
import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, insert, select, text

import inreach
from inreach.audit import chain
from inreach.audit.models import AuditEvent
from inreach.audit.services import record, record_all
from inreach.audit.vocabulary import ACTIONS
from inreach.database import begin_write, db, writes

SOURCE = Path(inreach.__file__).parent


# --- every recorded action has words -----------------------------------------------------------

class Scanner:
    """Finds the action codes the source records: literal first arguments of ``record(...)``
    and first members of ``record_all`` tuples, following a name to its assignment in the same
    function, to the literals the function's callers in the same module pass for it, or to a
    module-level dict's values. An f-string part that cannot be followed becomes a wildcard."""

    def __init__(self, tree: ast.Module, others: list | None = None):
        self.tree = tree
        self.others = others if others is not None else [self]  # every module's scanner
        self.parents = {child: node for node in ast.walk(tree)
                        for child in ast.iter_child_nodes(node)}
        self.functions = {node.name: node for node in ast.walk(tree)
                          if isinstance(node, ast.FunctionDef)}

    def calls(self):
        """Every action expression recorded in the module, with its call."""
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id == "record":
                given = node.args[0] if node.args else next(
                    (word.value for word in node.keywords if word.arg == "action"), None)
                yield given
            elif node.func.id == "record_all" and len(node.args) > 1:
                for item in ast.walk(node.args[1]):
                    if isinstance(item, ast.Tuple) and len(item.elts) == 3:
                        yield item.elts[0]

    def values(self, node, depth=0) -> list[str] | None:
        """The texts an expression can be (None: cannot tell; regex fragments for f-strings)."""
        if depth > 4 or node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [re.escape(node.value)]
        if isinstance(node, ast.IfExp):
            body, orelse = self.values(node.body, depth + 1), self.values(node.orelse, depth + 1)
            return None if body is None or orelse is None else body + orelse
        if isinstance(node, ast.JoinedStr):
            found = [""]
            for part in node.values:
                options = (self.values(part.value, depth + 1) or ["[a-z0-9_]+"]
                           if isinstance(part, ast.FormattedValue) else self.values(part, depth))
                found = [start + option for start in found for option in options]
            return found
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            table = self._module_dict(node.value.id)
            return None if table is None else [re.escape(value) for value in table]
        if isinstance(node, ast.Name):
            return self._name(node, depth)
        return None

    def _module_dict(self, name: str) -> list[str] | None:
        """The string values of a module-level dict of this name."""
        for node in self.tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                    and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)):
                return [value.value for value in node.value.values
                        if isinstance(value, ast.Constant)]
        return None

    def _name(self, node: ast.Name, depth: int) -> list[str] | None:
        """A name's texts: from its assignment in the function, or its callers' arguments."""
        function = node
        while function is not None and not isinstance(function, ast.FunctionDef):
            function = self.parents.get(function)
        if function is None:
            return None
        for item in ast.walk(function):
            if isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == node.id for t in item.targets):
                return self.values(item.value, depth + 1)
        for item in ast.walk(function):
            if isinstance(item, ast.For):
                if isinstance(item.target, ast.Name) and item.target.id == node.id:
                    return self._members(item.iter, None, depth + 1)
                if isinstance(item.target, ast.Tuple):
                    names = [t.id for t in item.target.elts if isinstance(t, ast.Name)]
                    if node.id in names:
                        return self._members(item.iter, names.index(node.id), depth + 1)
        return self._passed(function, node.id,
                            lambda scanner, given: scanner.values(given, depth + 1))

    def _passed(self, function: ast.FunctionDef, name: str, read) -> list[str] | None:
        """What the function's callers pass for one of its parameters: callers in this module,
        and in every module for a public function (each read in its own module)."""
        names = [argument.arg for argument in function.args.args]
        if name not in names:
            return None
        position, found = names.index(name), []
        public = not function.name.startswith("_")
        for scanner in (self.others if public else [self]):
            for call in scanner.calls_to(function.name, same_module=scanner is self):
                given = call.args[position] if position < len(call.args) else next(
                    (word.value for word in call.keywords if word.arg == name), None)
                more = read(scanner, given)  # its names are read in the caller's module
                if more is None:
                    return None
                found += more
        return found or None

    def calls_to(self, name: str, same_module: bool):
        """Calls in this module of a function by this name (imported, or defined here)."""
        for call in ast.walk(self.tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and (
                    call.func.id == name) and (same_module or name not in self.functions):
                yield call

    def _members(self, iterable, index: int | None, depth: int) -> list[str] | None:
        """The texts a loop over this iterable gives (member ``index`` of each tuple)."""
        if isinstance(iterable, ast.Name):
            function = iterable
            while function is not None and not isinstance(function, ast.FunctionDef):
                function = self.parents.get(function)
            if function is None:
                return None
            return self._passed(function, iterable.id,
                                lambda scanner, given: scanner._members(given, index, depth + 1))
        if index is None:
            items = getattr(iterable, "elts", None)
            return None if items is None else self._all(items, depth)
        tuples = [item.elts[index] for item in ast.walk(iterable)
                  if isinstance(item, ast.Tuple) and len(item.elts) > index]
        return self._all(tuples, depth) if tuples else None

    def _all(self, nodes, depth: int) -> list[str] | None:
        """The texts of every node, or None if any cannot be read."""
        found = []
        for node in nodes:
            more = self.values(node, depth + 1)
            if more is None:
                return None
            found += more
        return found


def recorded_actions() -> tuple[set[str], list[str]]:
    """Every pattern of action code recorded in inreach/, and where one cannot be read."""
    patterns, unreadable, scanners = set(), [], []
    paths = sorted(SOURCE.rglob("*.py"))
    for path in paths:
        scanners.append(Scanner(ast.parse(path.read_text(encoding="utf-8")), scanners))
    for path, scanner in zip(paths, scanners, strict=True):
        for expression in scanner.calls():
            found = scanner.values(expression)
            if found is None:
                unreadable.append(f"{path.relative_to(SOURCE)}:{expression.lineno}")
            else:
                patterns.update(found)
    return patterns, unreadable


def test_every_action_the_code_records_has_words():
    patterns, unreadable = recorded_actions()
    assert unreadable == [], "record an action the scanner can read (a literal, or a name " \
                             "given literals in the same module)"
    # the scanner finds literal, conditional, f-string, dict and caller-passed codes
    for expected in ("login", "user\\.disabled", "referral\\.status", "pack\\.printed",
                     "login\\.code_failed",
                     "attendance\\.absent", "referral\\.profile_started",
                     "referral_form\\.printed"):
        assert expected in patterns
    assert len(patterns) > 80
    missing = sorted(pattern for pattern in patterns
                     if not any(re.fullmatch(pattern, code) for code in ACTIONS))
    assert missing == [], f"add words for these actions to inreach/audit/vocabulary.py: {missing}"


# --- helpers -----------------------------------------------------------------------------------

@writes
def _add(action, actor_id=None, object_type=None, object_id=None, detail=None):
    """One audit row through record(), committed."""
    record(action, actor_id, object_type, object_id, detail)
    db.session.commit()


@writes
def _add_many(actor_id, rows):
    """Several rows through record_all(), committed."""
    record_all(actor_id, rows)
    db.session.commit()


@writes
def _add_two(object_id):
    """Two rows through record(), flushed together, committed."""
    record("visit.updated", None, "visit", object_id)
    record("visit.viewed", None, "visit", object_id)
    db.session.commit()


def _history(rows: list[dict]) -> None:
    """Older rows with their own times, chained, in one Core INSERT."""
    begin_write()
    connection = db.session.connection()
    connection.execute(insert(AuditEvent), chain.chain_history(connection, rows))
    db.session.commit()


def _verdict() -> chain.Verdict:
    """Walk the chain on a fresh connection."""
    db.session.remove()
    with db.engine.connect() as connection:
        return chain.verify(connection)


def _tamper(statement: str, **values) -> None:
    """Run an UPDATE or DELETE on the trail with the append-only triggers dropped, as someone
    with the database's owner account could."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_events_append_only ON audit_events")
        connection.execute(text(statement), values)


@pytest.fixture
def auditor(client, login_as):
    """The client logged in as an auditor; returns the auditor's id."""
    return login_as("auditor")


def _page(client, query: str = "") -> str:
    """The trail page's HTML (it must answer 200)."""
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- words -------------------------------------------------------------------------------------

# --- filters -----------------------------------------------------------------------------------

def _rows(html: str) -> list[str]:
    """The sentences shown, in order."""
    body = html.split('data-testid="audit-rows"')[1]
    return re.findall(r'<td class="nhsuk-table__cell">([^<]*?)(?:<br>|</td>)', body)[1::4]


def test_the_trail_in_words_filtered_by_who_action_object_and_days(app, client, login_as,
                                                                   make_user):
    old = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with app.app_context():  # history first: times never go down as ids go up
        _history([{"at": old + timedelta(days=day), "actor_id": None,
                   "action": "referral.viewed", "object_type": "referral",
                   "object_id": str(100 + day), "detail": None} for day in range(10)])
    organiser = make_user("organiser")
    login_as("auditor")
    with app.app_context():
        _add("visit.created", organiser, "visit", 3)
        _add_many(organiser, [("referral.created", "referral", 5)])
    assert _rows(_page(client, f"?user={organiser}")) == [
        "Test organiser made a referral", "Test organiser planned a visit"]
    assert _rows(_page(client, "?action=visit.created")) == ["Test organiser planned a visit"]
    assert len(_rows(_page(client, "?type=referral"))) == 11
    assert _rows(_page(client, "?type=referral&object=5")) == ["Test organiser made a referral"]
    days = _page(client, "?start=2026-03-03&end=2026-03-05")
    assert re.findall(r"2026-03-0(\d) 12:00", days) == ["5", "4", "3"]
    assert len(_rows(_page(client, "?start=2026-03-10"))) == 1 + 5  # 2 users, login, 2 rows
    assert "No rows match these filters" in _page(client, "?end=2020-01-01")
    _words_and_paging(app, client, organiser)


def _words_and_paging(app, client, organiser):
    """Each row as a sentence with its object in words; filtered pages keep the filter."""
    with app.app_context():
        _add("referral.status", organiser, "referral", 42)
        _add("referral_link.opened", None, "referral", 42)
        _add("old.code_from_before", organiser, "thing", 7)
    html = _page(client).split('data-testid="audit-rows"')[1]
    assert "Test organiser changed a referral&#39;s status" in html
    assert "Referral 42" in html
    assert "Receiving service, by link opened a referral by its link" in html
    assert "Test organiser: old.code_from_before" in html and "thing 7" in html
    assert "Test auditor signed in" in html and "referral.status" not in html
    with app.app_context():
        _add_many(None, [("person.viewed" if n % 2 else "referral.viewed", "referral", n)
                         for n in range(300)])
    first = _page(client, "?action=person.viewed")
    assert len(_rows(first)) == 100 and set(_rows(first)) == {
        "Someone not signed in looked at a man&#39;s record"}
    older = re.search(r'href="(/audit/\?[^"]*older_than=\d+[^"]*)"', first).group(1)
    assert "action=person.viewed" in older
    second = _page(client, older.removeprefix("/audit/").replace("&amp;", "&"))
    assert len(_rows(second)) == 50 and "Newer events" in second


BAD_FILTERS = [
    ("?user=99999", "Choose a person from the list"),
    ("?user=abc", "Choose a person from the list"),
    ("?action=nope", "Choose an action from the list"),
    ("?type=nope", "Choose a kind of object from the list"),
    ("?object=42", "Choose the kind of object this id belongs to"),
    ("?type=referral&object=%3Cscript%3E", "Enter an id of up to 64 letters"),
    ("?start=2026-02-31", "Enter a real date"),
    ("?start=2026-03-05&end=2026-03-01", "must be the same as or after"),
]


def _bad_filters_told_on_the_form(client):
    """Each bad filter: a message on its field, no rows, and no download (never a 500)."""
    for query, message in BAD_FILTERS:
        html = _page(client, query)
        assert "There is a problem" in html and message in html, query
        assert 'data-testid="audit-rows"' not in html
        assert client.get(f"/audit/trail.csv{query}").status_code == 400


# --- the download ------------------------------------------------------------------------------

def test_the_csv_download_is_filtered_safe_streamed_and_audited_and_bad_filters_told(
        app, client, auditor):
    _bad_filters_told_on_the_form(client)
    with app.app_context():
        _add("directory.imported", auditor, detail="=HYPERLINK(\"http://x\")")
        _add("visit.created", auditor, "visit", 9)
    response = client.get("/audit/trail.csv?action=directory.imported")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="audit-trail-{date.today():%Y-%m-%d}.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Row", "When (UTC)", "What happened"] and len(rows) == 2
    assert rows[1][2] == "Test auditor imported the directory from a file"
    assert rows[1][9] == "'=HYPERLINK(\"http://x\")"
    with app.app_context():
        exported = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "audit.exported")).one()
        assert (exported.actor_id, exported.detail) == (auditor, "action=directory.imported")


# --- tamper evidence ---------------------------------------------------------------------------

def _ten_rows(app) -> list[int]:
    """Ten rows through both paths; their ids, oldest first."""
    with app.app_context():
        for n in range(5):
            _add("visit.updated", None, "visit", n)
        _add_many(None, [("referral.created", "referral", n) for n in range(5)])
        return list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def test_audit_verify_finds_an_edited_row_at_that_row_and_a_deleted_one_at_the_next(app, runner):
    ids = _ten_rows(app)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and f"intact, {len(ids)} rows" in result.output
    with app.app_context():
        _tamper("UPDATE audit_events SET object_id = '99' WHERE id = :id", id=ids[4])
        verdict = _verdict()
        assert (verdict.broken_id, verdict.rows) == (ids[4], 4)
        result = runner.invoke(args=["audit-verify"])
        assert result.exit_code == 1 and f"BROKEN at row {ids[4]} (" in result.output
        with db.engine.begin() as connection:  # put it back: intact again
            connection.execute(text("UPDATE audit_events SET object_id = '4' WHERE id = :id"),
                               {"id": ids[4]})
        assert _verdict().intact
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[6]})
        assert _verdict().broken_id == ids[7]
    assert runner.invoke(args=["audit-verify"]).exit_code == 1


def test_concurrent_writers_keep_the_chain_intact(app):
    errors = []

    def writer(number):
        try:
            with app.app_context():
                for n in range(8):
                    _add_two(f"{number}-{n}")  # two rows in one flush
                    _add_many(None, [("referral.created", "referral", f"{number}-{n}-{k}")
                                     for k in range(3)])
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        verdict = _verdict()
        times = list(db.session.scalars(select(AuditEvent.at).order_by(AuditEvent.id)))
    assert verdict.intact and verdict.rows == 4 * 8 * 5
    assert times == sorted(times)  # times never go down as ids go up


def test_the_migration_chains_the_rows_already_there(make_app):
    app = make_app(create_tables=False)
    with app.app_context():
        upgrade(revision="0008_followup")
        with db.engine.begin() as connection:
            for n in range(3):
                connection.execute(text(
                    "INSERT INTO audit_events (at, action, object_type, object_id) "
                    "VALUES (:at, 'visit.created', 'visit', :n)"),
                    {"at": datetime(2026, 1, 1, 9, n, 30, 123456, tzinfo=UTC), "n": str(n)})
        upgrade(revision="0009_audit_chain")
        assert _verdict().intact and _verdict().rows == 3
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_events"))
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 3
