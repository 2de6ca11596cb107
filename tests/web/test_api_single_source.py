"""Field rules are declared once; the OpenAPI document, the API's schemas and the forms follow.

The intensity range lives in tracker.diary.attack_input.ATTACK_RULES. The first test reads
that declaration and checks the served document, the marshmallow schema and the WTForms form
state it; the second changes it (0..9, in a fresh interpreter, before the web app is built)
and checks all three moved with it, and that the API refuses 10. The third compares every
field of every request schema with the document (they cannot disagree: the document is
generated from the schemas) and with its rule.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from marshmallow import validate

from tracker.diary.attack_input import ATTACK_RULES
from tracker.diary.fields import CHECKIN_RULES, COURSE_RULES, LOCATION_RULES
from web.api import schemas


def _range(field) -> tuple[float | None, float | None]:
    found = [v for v in field.validators if isinstance(v, validate.Range)]
    return (found[0].min, found[0].max) if found else (None, None)


def _form_range(form_field) -> tuple[float | None, float | None]:
    from wtforms.validators import NumberRange

    found = [v for v in form_field.kwargs["validators"] if isinstance(v, NumberRange)]
    return (found[0].min, found[0].max) if found else (None, None)


def test_intensity_range_is_declared_once(app):
    from web.forms import AttackForm

    rule = ATTACK_RULES["intensity"]
    declared = (rule.minimum, rule.maximum)
    doc = app.test_client().get("/api/openapi.json").get_json()
    for name in ("AttackInput", "AttackPatch", "Attack"):
        prop = doc["components"]["schemas"][name]["properties"]["intensity"]
        assert (prop["minimum"], prop["maximum"]) == declared, name
    assert _range(schemas.AttackInput().fields["intensity"]) == declared
    assert _form_range(AttackForm.intensity) == declared


CHANGED = textwrap.dedent("""
    import dataclasses, json, sys
    from tracker.diary import attack_input
    rules = attack_input.ATTACK_RULES
    rules["intensity"] = dataclasses.replace(rules["intensity"], maximum=9)
    from web import create_app
    from web.api import schemas
    from web.forms import AttackForm
    from wtforms.validators import NumberRange
    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    doc = app.test_client().get("/api/openapi.json").get_json()
    field = schemas.AttackInput().fields["intensity"]
    form = [v for v in AttackForm.intensity.kwargs["validators"] if isinstance(v, NumberRange)]
    try:
        attack_input.validate_attack(attack_input.AttackInput(
            started_at=__import__("datetime").datetime(2026, 1, 1, tzinfo=__import__(
                "datetime").UTC), intensity=10))
        domain = "accepted"
    except Exception as exc:
        domain = str(exc)
    json.dump({
        "document": doc["components"]["schemas"]["AttackInput"]["properties"]["intensity"],
        "schema": [v.max for v in field.validators if hasattr(v, "max")],
        "form": [v.max for v in form],
        "label": AttackForm.intensity.args[0],
        "domain": domain,
        "api": schemas.AttackInput().validate({"started_at": "2026-01-01T08:00:00Z",
                                               "intensity": 10}),
    }, sys.stdout)
""")


def test_changing_the_declaration_changes_document_schema_form_and_checks():
    out = subprocess.run([sys.executable, "-c", CHANGED], capture_output=True, text=True,
                         check=True)
    seen = json.loads(out.stdout)
    assert seen["document"]["maximum"] == 9
    assert seen["schema"] == [9]
    assert seen["form"] == [9]
    assert seen["label"].endswith("(0-9)")
    assert "0..9" in seen["domain"]
    assert seen["api"] == {"intensity": ["10 is outside 0..9"]}


def _expected(rule) -> dict:
    """The members of the document that a rule fixes."""
    out = {}
    if rule.minimum is not None:
        out["minimum"] = rule.minimum
    if rule.maximum is not None:
        out["maximum"] = rule.maximum
    if rule.max_length is not None:
        out["maxLength"] = rule.max_length
    if rule.choices:
        out["enum"] = list(rule.choices) + ([None] if rule.nullable else [])
    if rule.nullable:
        out["nullable"] = True
    return out


def test_every_request_field_states_its_rule_in_the_document(app):
    doc = app.test_client().get("/api/openapi.json").get_json()["components"]["schemas"]
    for name, rules in (("AttackInput", ATTACK_RULES), ("CourseInput", COURSE_RULES),
                        ("CheckInInput", CHECKIN_RULES), ("LocationInput", LOCATION_RULES)):
        documented = doc[name]
        assert documented["additionalProperties"] is False, name
        extra = {schemas.MEDICATIONS} if name == "AttackInput" else set()  # issue #16
        assert set(documented["properties"]) == set(rules) | extra, name
        assert set(documented.get("required", [])) == {n for n, r in rules.items()
                                                         if r.required}, name
        for field_name, rule in rules.items():
            prop = documented["properties"][field_name]
            for key, value in _expected(rule).items():
                assert prop.get(key) == value, (name, field_name, key, prop)
            field = getattr(schemas, name)().fields[field_name]
            assert _range(field) == ((rule.minimum, rule.maximum)
                                     if rule.minimum is not None else (None, None))
            if rule.has_default and (rule.default is not None or rule.nullable):
                assert prop["default"] == rule.default, (name, field_name)
