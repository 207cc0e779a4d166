"""Settings from INREACH_<NAME> environment variables, read with their types."""

from flask import Flask

from inreach import config


def test_mail_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INREACH_MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("INREACH_MAIL_TIMEOUT_SECONDS", "12")
    monkeypatch.setenv("INREACH_MAIL_OUTBOX_DIR", str(tmp_path / "mail"))
    monkeypatch.setenv("INREACH_REPORT_SUPPRESS_BELOW", "10")
    app = Flask("settings", instance_path=str(tmp_path))
    config.load(app)
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_TIMEOUT_SECONDS"] == 12
    assert app.config["MAIL_OUTBOX_DIR"] == str(tmp_path / "mail")
    assert app.config["REPORT_SUPPRESS_BELOW"] == 10
