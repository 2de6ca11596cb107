"""[mail] settings, signed links, and messages sent to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.smtp_server import SmtpSink, html_part, text_part
from tracker.mail import MailContent, MailSettings, build_message, send, sign, unsign
from tracker.mail_text import (
    daily_reminder,
    password_reset,
    read_unsubscribe_token,
    unsubscribe_token,
    unsubscribe_url,
    weekly_summary,
)
from tracker.settings import ConfigError, load_settings


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def test_mail_is_off_by_default_and_a_configured_host_needs_from_and_base_url(tmp_path):
    assert not load_settings(environ={}).mail.enabled
    cfg = tmp_path / "c.toml"
    cfg.write_text('[mail]\nhost = "smtp.example.org"\nbase_url = "https://d.example.org"\n')
    with pytest.raises(ConfigError, match=r"^mail\.from_address"):
        load_settings(cfg, environ={})
    cfg.write_text('[mail]\nhost = "smtp.example.org"\nfrom_address = "d@example.org"\n')
    with pytest.raises(ConfigError, match=r"^mail\.base_url"):
        load_settings(cfg, environ={})
    cfg.write_text('[mail]\ntls = "maybe"\n')
    with pytest.raises(ConfigError, match=r"^mail\.tls: 'maybe' is not one of"):
        load_settings(cfg, environ={})
    cfg.write_text("[mail]\nport = 0\n")
    with pytest.raises(ConfigError, match=r"mail\.port: 0 is outside 1\.\.65535"):
        load_settings(cfg, environ={})


def test_the_smtp_password_can_come_from_the_environment(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[mail]\nhost = "smtp.example.org"\nfrom_address = "d@example.org"\n'
                   'base_url = "https://d.example.org/"\nuser = "diary"\npassword = "file"\n')
    mail = load_settings(cfg, environ={"MAIL_PASSWORD": "env"}).mail
    assert (mail.enabled, mail.user, mail.password) == (True, "diary", "env")
    assert mail.link("/checkins") == "https://d.example.org/checkins"


def test_a_signed_token_is_refused_when_changed_or_for_another_purpose_or_key():
    token = sign("key", "unsubscribe", "7:daily")
    assert unsign("key", "unsubscribe", token) == "7:daily"
    assert unsign("other key", "unsubscribe", token) is None
    assert unsign("key", "reset", token) is None
    body, mac = token.split(".")
    forged = sign("key", "unsubscribe", "8:daily").split(".")[0] + "." + mac
    assert unsign("key", "unsubscribe", forged) is None
    assert unsign("key", "unsubscribe", body) is None
    assert unsign("key", "unsubscribe", "%%%.###") is None
    assert unsign("", "unsubscribe", token) is None


def test_unsubscribe_tokens_name_a_patient_and_a_kind():
    token = unsubscribe_token("key", 42, "weekly")
    assert read_unsubscribe_token("key", token) == (42, "weekly")
    assert read_unsubscribe_token("key", sign("key", "unsubscribe", "42:everything")) is None
    assert read_unsubscribe_token("key", sign("key", "unsubscribe", "x:daily")) is None


def test_a_message_arrives_with_text_html_and_one_click_unsubscribe_headers(smtp):
    mail = smtp.settings()
    url = unsubscribe_url(mail, "key", 3, "daily")
    content = daily_reminder(mail, "Ann", date(2026, 3, 29), url)
    send(mail, build_message(mail, "ann@example.org", content, unsubscribe_url=url))
    [message] = smtp.wait_for(1)
    assert smtp.envelopes == [("diary@example.org", ["ann@example.org"])]
    assert message["Subject"] == "Your diary for Sun 29 Mar 2026"
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@example.org>")
    text, html = text_part(message), html_part(message)
    assert "Hello Ann," in text and url in text and "not medical advice" in text
    assert "https://diary.example.org/checkins" in text
    assert f'href="{url.replace("&", "&amp;")}"' in html and "not medical advice" in html


def test_no_reminder_wording_speaks_of_weather_or_danger():
    mail = MailSettings(host="h", from_address="d@example.org", base_url="https://x.org")
    days = [date(2026, 1, d) for d in range(1, 20)]
    messages = [daily_reminder(mail, "", date(2026, 1, 20), "https://x.org/u"),
                weekly_summary(mail, "Bo", days, "https://x.org/u"),
                weekly_summary(mail, "Bo", days[:1], "https://x.org/u"),
                password_reset(mail, "Bo", "https://x.org/r", 60)]
    for content in messages:
        words = f"{content.subject} {content.text} {content.html}".lower()
        words = words.replace("migraine-weather", "the product")  # its name is not wording
        for banned in ("weather", "pressure", "danger", "risk", "warning", "alert", "trigger"):
            assert banned not in words, (banned, content.subject)
        assert "not medical advice" in words
    assert messages[1].subject == "Your diary has 19 unrecorded days"
    assert messages[2].subject == "Your diary has 1 unrecorded day"
    assert "the latest 14 of them: Tue 6 Jan 2026" in messages[1].text
    assert messages[0].text.startswith("Hello,\n")


def test_html_escapes_what_the_patient_typed():
    mail = MailSettings(host="h", from_address="d@example.org", base_url="https://x.org")
    content = daily_reminder(mail, "<b>Ann</b>", date(2026, 1, 20), "https://x.org/u?a=1&b=2")
    assert "<b>Ann</b>" not in content.html and "&lt;b&gt;Ann&lt;/b&gt;" in content.html
    assert "https://x.org/u?a=1&amp;b=2" in content.html


def test_an_smtp_refusal_raises(smtp):
    import smtplib

    smtp.refuse_next = 1
    mail = smtp.settings()
    with pytest.raises(smtplib.SMTPDataError):
        send(mail, build_message(mail, "a@example.org", MailContent("s", "t", "<p>h</p>")))
    assert smtp.messages == []
