"""Schemathesis against /api/openapi.json, in-process (WSGI), with real bearer tokens.

Every operation gets a bounded number of generated requests, valid (positive) and invalid
(negative); the default checks run: no 5xx, every status, content type, header and body as
the document says, invalid data rejected, valid data accepted, and a request without the
token refused. Valid-by-schema data may still be refused with 400 when a rule cannot be
written in JSON Schema (a start in the future, an end before the start, an unknown timezone),
so 400 is added to the statuses ``positive_data_acceptance`` accepts.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.web.conftest import make_world

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 12}


def _config(token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "headers": {"Authorization": f"Bearer {token}"},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409"],
            },
        },
    })


def _run(strategy, examples: int, headers: dict[str, str]) -> None:
    """Send ``examples`` generated requests and check each answer against the document."""

    @given(case=strategy)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        case.call_and_validate(headers=headers)

    check()


def test_api_matches_its_openapi_document(app, session_factory):
    world = make_world(session_factory, ("a", "linked", "admin"))
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app,
                                            config=_config(world.tokens["a"]))
    # The patient's token, except where another role is the one the operation is for.
    owner = {"/api/v1/patients": "linked", "/api/v1/admin/status": "admin"}
    existing = {"attack_id": world.records["attack"], "course_id": world.records["course"],
                "period_id": world.records["location"],
                "checkin_id": world.records["checkin"], "patient_id": world.ids["a"]}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    # Deletions last, so the other operations still find the records they are pointed at.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            overrides = {}
            names = {p.name for p in operation.path_parameters}
            if names and mode is GenerationMode.POSITIVE:
                # Point valid requests at the patient's own records (random ids would all 404);
                # invalid ones keep generated ids.
                overrides = {"path_parameters": {n: existing[n] for n in names if n in existing}}
            strategy = operation.as_strategy(generation_mode=mode, **overrides)
            headers = {"Authorization": f"Bearer {world.tokens[owner.get(operation.path, 'a')]}"}
            try:
                _run(strategy, examples, headers)
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): nothing to test negatively.
                assert mode is GenerationMode.NEGATIVE, operation.label
