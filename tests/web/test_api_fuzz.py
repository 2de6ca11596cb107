"""Schemathesis against /api/openapi.json, in-process (WSGI), with real bearer tokens.

Every operation gets a bounded number of generated requests, valid (positive) and invalid
(negative); the default checks run: no 5xx, every status, content type, header and body as
the document says, invalid data rejected, valid data accepted, and a request without the
token refused. The document states the day bounds and the text rules as patterns, so valid
data is accepted; the only rules JSON Schema cannot state (a start in the future, an end
before the start) are listed per operation as ``x-rules-beyond-schema``. A valid-by-schema
request may be refused with 400 only for one of those: ``positive_data_acceptance`` lets 400
through and ``refused_only_by_documented_rules`` checks the field the error names.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.web.conftest import make_world

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 12}


@schemathesis.check
def refused_only_by_documented_rules(ctx, response, case) -> bool | None:
    """Valid-by-schema data refused with 400 must name a field of ``x-rules-beyond-schema``."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    error = response.json().get("error") or {}
    rules = case.operation.definition.raw.get("x-rules-beyond-schema", {})
    if error.get("field") not in rules:
        raise AssertionError(f"valid-by-schema request refused, and no documented rule "
                             f"covers it: {error}")
    return None


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
