"""The printing pages over HTTP: who may print, the warning before entries that need checking,
the preview, downloads (no names in file names, never cached, audited), bad input answered on
the page, and a session batch from start to download."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, db
from inreach.packs.models import PrintJob

from . import planning
from .conftest import csrf_token, log_in
from .pack_builders import entry, printing_day  # noqa: F401 (a fixture)
from .printing_helpers import pdf_text
from .queue_helpers import broker_config, empty_queue, waiting_tasks


def base(day) -> str:
    return f"/visits/{day['visit']}/sessions/{day['session']}/printing"


@pytest.fixture
def organiser(client, printing_day):  # noqa: F811
    """The client logged in as the day's organiser; the day's ids."""
    assert log_in(client, "organiser@test.example").status_code == 302
    return printing_day


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == action))


@pytest.mark.parametrize("role", ["volunteer", "auditor"])
def test_only_organisers_and_admins_print(client, printing_day, role):  # noqa: F811
    log_in(client, f"{role}@test.example")
    for path in ("/", f"/men/{printing_day['john']}", f"/men/{printing_day['john']}/form.pdf",
                 "/blank-form.pdf"):
        assert client.get(base(printing_day) + path).status_code == 403


def test_the_printing_page_lists_each_man_and_warns_about_entries_that_need_checking(
        client, organiser):
    page = client.get(base(organiser) + "/").get_data(as_text=True)
    for name in ("John Fictional", "Karl Madeup", "Lee Invented"):
        assert name in page
    warning = page[page.index("nhsuk-warning-callout"):]
    assert "1 entry needs checking" in warning and "<li>Old entry</li>" in warning
    assert "Leave them out of the pack" in page


def test_the_preview_shows_his_pack_in_his_preferred_version_and_is_audited(app, client,
                                                                          organiser):
    page = client.get(f"{base(organiser)}/men/{organiser['lee']}").get_data(as_text=True)
    assert re.search(r'value="easy_read"\s+checked', page)
    assert "You did not ask us to refer you to a service" in page
    assert "Old entry" in page  # named in the warning, not in the pack
    preview = page[page.index("inreach-pack-preview"):]
    assert "Old entry" not in preview and "Camden work coach" in preview
    assert audit_count(app, "pack.previewed") == 1


def test_the_preview_shows_markup_in_an_entry_as_text(app, client, organiser):
    with app.app_context():
        entry('<img src=x onerror="alert(1)"> desk', ["Camden"], ["health"], "020 7946 0010")
    page = client.get(f"{base(organiser)}/men/{organiser['john']}").get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; desk" in page


def test_a_pack_downloads_only_after_the_choices_are_made(client, organiser):
    url = f"{base(organiser)}/men/{organiser['john']}/pack.pdf"
    response = client.get(url)
    assert response.status_code == 302 and response.location.endswith(
        f"/men/{organiser['john']}")
    response = client.get(url + "?variant=standard&with_name=y")  # entries needing checking?
    assert response.status_code == 302


def test_a_pack_download_names_nobody_is_never_cached_and_is_audited(app, client, organiser):
    response = client.get(f"{base(organiser)}/men/{organiser['john']}/pack.pdf"
                          "?variant=large_print&with_name=y&unchecked=include")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="pack-{organiser["john"]}.pdf"'
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response.data)
    assert "For John" in text and "Old entry" in text
    assert audit_count(app, "pack.printed") == 1


def test_his_form_downloads_under_its_reference(client, organiser):
    response = client.get(f"{base(organiser)}/men/{organiser['karl']}/form.pdf")
    reference = organiser["references"]["karl"]
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="self-referral-form-{reference}.pdf"'
    assert reference in pdf_text(response.data)


def test_a_man_not_in_this_session_is_not_found(app, client, organiser):
    with app.app_context():
        other = planning.session(organiser["visit"], "Cohort 2", "13:00", "15:00").id
    path = f"/visits/{organiser['visit']}/sessions/{other}/printing/men/{organiser['john']}"
    assert client.get(path).status_code == 404
    assert client.get(f"{base(organiser)}/men/nobody/form.pdf").status_code == 404
    assert client.get(f"/visits/{organiser['visit'] + 1}/sessions/{organiser['session']}"
                      "/printing/").status_code == 404


def test_a_blank_pack_for_an_unknown_area_is_refused_on_the_page(client, organiser):
    response = client.get(f"{base(organiser)}/blank-pack.pdf?blank-area=Atlantis"
                          "&blank-variant=standard&blank-unchecked=leave_out")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose a release area from the list" in page
    good = client.get(f"{base(organiser)}/blank-pack.pdf?blank-area=Camden"
                      "&blank-variant=easy_read&blank-unchecked=leave_out")
    assert good.status_code == 200 and "Camden work coach" in pdf_text(good.data)


def test_a_batch_of_packs_needs_the_choice_on_entries_that_need_checking(app, client,
                                                                        organiser):
    token = csrf_token(client, base(organiser) + "/")
    response = client.post(base(organiser) + "/batches",
                           data={"csrf_token": token, "kind": "packs", "with_name": "y"})
    assert response.status_code == 422
    assert "Choose whether to include the entries that need checking" in \
        response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PrintJob)) == 0


def test_a_batch_runs_shows_its_progress_then_downloads(app, client, organiser):
    token = csrf_token(client, base(organiser) + "/")
    response = client.post(base(organiser) + "/batches", data={
        "csrf_token": token, "kind": "packs", "with_name": "y", "unchecked": "leave_out"})
    assert response.status_code == 302  # its tasks ran at once, as a worker would run them
    job_url = response.location
    page = client.get(job_url).get_data(as_text=True)
    assert "Ready: 3 men." in page and "data-batch-running" not in page
    download = client.get(job_url + "/pdf")
    assert download.headers["Content-Disposition"] == \
        f'attachment; filename="packs-session-{organiser["session"]}.pdf"'
    assert "For John" in pdf_text(download.data)
    assert audit_count(app, "print_batch.downloaded") == 1


def test_a_running_batch_page_refreshes_itself(app, client, organiser):
    with app.app_context():
        job = PrintJob(session_id=organiser["session"], kind="forms", total=3, done=1,
                       state="running", started_by=organiser["users"]["organiser"])
        begin_write()
        db.session.add(job)
        db.session.commit()
        public_id = job.public_id
    page = client.get(f"{base(organiser)}/batches/{public_id}").get_data(as_text=True)
    assert 'data-batch-running' in page and 'See how far it has got' in page
    assert '<progress id="progress" class="inreach-progress" max="3" value="1">' in page
    assert "Waiting for a print worker" not in page  # one has taken it
    assert client.get(f"{base(organiser)}/batches/{public_id}/pdf").status_code == 302
    assert client.get(f"{base(organiser)}/batches/nothing").status_code == 404


def test_a_batch_for_an_empty_session_is_refused_on_the_page(app, client, organiser):
    with app.app_context():
        empty = planning.session(organiser["visit"], "Cohort 2", "13:00", "15:00").id
    url = f"/visits/{organiser['visit']}/sessions/{empty}/printing"
    token = csrf_token(client, url + "/")
    response = client.post(url + "/batches", data={"csrf_token": token, "kind": "forms"})
    assert response.status_code == 422
    assert "No men are placed in this session yet" in response.get_data(as_text=True)


def test_a_batch_nobody_has_taken_says_it_waits_for_a_print_worker(make_app, tmp_path,
                                                                    printing_day):  # noqa: F811
    app = make_app(create_tables=False, **broker_config(tmp_path))  # a real queue, no worker
    with app.app_context():
        empty_queue()
    client = app.test_client()
    log_in(client, "organiser@test.example")
    token = csrf_token(client, base(printing_day) + "/")
    response = client.post(base(printing_day) + "/batches",
                           data={"csrf_token": token, "kind": "forms"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert re.search(r"Waiting for a print worker: queued \d+ seconds ago", page)
    assert "data-batch-running" in page and "0 of 3 done" in page
    with app.app_context():
        assert [name for name, _ in waiting_tasks()] == ["render_chunk"]
        begin_write()
        job = db.session.scalar(select(PrintJob))
        job.started_at = job.started_at - timedelta(minutes=7)
        db.session.commit()
        empty_queue()
    page = client.get(response.location).get_data(as_text=True)
    assert "Waiting for a print worker: queued 7 minutes ago" in page


def test_a_batch_started_while_the_queue_is_down_is_refused_on_the_page(make_app,
                                                                      printing_day):  # noqa: F811
    app = make_app(create_tables=False, QUEUE_IMMEDIATE=False,
                   REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    client = app.test_client()
    log_in(client, "organiser@test.example")
    token = csrf_token(client, base(printing_day) + "/")
    response = client.post(base(printing_day) + "/batches", data={
        "csrf_token": token, "kind": "packs", "with_name": "y", "unchecked": "leave_out"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The print queue cannot be reached just now, so nothing was started." in page
    assert "nhsuk-error-summary" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PrintJob)) == 0
