"""Trigger tags in the attack CSV: exported, imported back unchanged, checked per line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import list_attacks, record_attack
from tracker.diary.attacks_csv import (
    COLUMNS,
    CSVImportError,
    export_attacks_csv,
    import_attacks,
    parse_attacks_csv,
)
from tracker.diary.trigger_tags import parse_triggers_cell, triggers_cell
from tracker.diary.triggers import set_triggers

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_cell_parsing_orders_dedupes_and_refuses_unknown_tags():
    assert parse_triggers_cell(" Stress; weather;stress ") == ["weather", "stress"]
    assert parse_triggers_cell("") is None and parse_triggers_cell(" ; ") is None
    assert triggers_cell(["weather", "sleep"]) == "weather;sleep" and triggers_cell(None) == ""
    with pytest.raises(CSVImportError) as err:
        parse_attacks_csv("started_at,triggers\n2026-04-01T08:00,moon\n", "UTC", NOW)
    assert "line 2: triggers: unknown trigger 'moon'" in str(err.value)


def test_triggers_round_trip_through_export_and_import(session):
    a = create_user(session, email="a@example.org", password="long enough", role="patient",
                    timezone="UTC", now=NOW)
    b = create_user(session, email="b@example.org", password="long enough", role="patient",
                    timezone="UTC", now=NOW)
    tagged = record_attack(session, a, AttackInput(
        started_at=datetime(2026, 4, 1, 8, tzinfo=UTC)), now=NOW)
    set_triggers(session, a, tagged.id, ["sleep", "weather"])
    record_attack(session, a, AttackInput(started_at=datetime(2026, 4, 3, 8, tzinfo=UTC)),
                  now=NOW)
    text = export_attacks_csv(list_attacks(session, a))
    header = text.splitlines()[0].split(",")
    assert header == list(COLUMNS) and header[-2:] == ["triggers", "notes"]
    assert import_attacks(session, b, text, now=NOW) == 2
    session.commit()
    assert [x.triggers for x in list_attacks(session, b)] == [["weather", "sleep"], None]
