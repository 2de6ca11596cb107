"""``migraine-weather weather``: pull, backfill, gaps, import and export of pressure."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import click

from cli.context import State, iana_timezone, pass_state, write_output

DATE = click.DateTime(["%Y-%m-%d"])


def open_meteo_client(state: State):
    """Build the Open-Meteo client from the settings (the HTTP session is made here)."""
    import requests

    from weather.open_meteo import client_from_settings

    return client_from_settings(state.settings.weather.open_meteo, requests.Session())


def _report(summary, what: str) -> None:
    click.echo(
        f"{what}: {summary.cells_done} cell(s) done, {summary.cells_failed} failed, "
        f"{summary.rows_written} row(s) written"
    )
    for error in summary.errors:
        click.echo(f"  error: {error}", err=True)
    if summary.cells_failed:
        raise SystemExit(1)


@click.group()
def weather() -> None:
    """Barometric pressure: fetch from Open-Meteo, import a barometer CSV, export, find gaps."""


@weather.command()
@pass_state
def pull(state: State) -> None:
    """Fetch recent hours for every cell a patient's location uses (forecast API)."""
    from tracker.cells import cells_in_use
    from weather.fetching import fetch_and_store_recent

    s = state.settings
    client = open_meteo_client(state)
    with state.transaction() as session:
        cells = cells_in_use(session, s.weather.grid_degrees)
        summary = fetch_and_store_recent(
            session, client, cells, s.weather.open_meteo.past_days, datetime.now(UTC),
            batch_size=s.weather.open_meteo.batch_size,
        )
    _report(summary, "pull")


@weather.command()
@click.option("--since", type=DATE, default=None,
              help="First UTC day to fill in every cell (default: each cell from the first "
                   "day its patients need, within jobs.backfill_horizon_years).")
@pass_state
def backfill(state: State, since) -> None:
    """Fill only the missing hours of every cell in use: archive in yearly chunks, the last
    days from the forecast API (never before the archive's first day, 1940-01-01)."""
    from tracker.cells import cells_needed_since
    from weather.backfill import backfill as run_backfill

    s = state.settings
    now = datetime.now(UTC)
    client = open_meteo_client(state)
    with state.transaction() as session:
        needed = cells_needed_since(session, s.weather.grid_degrees,
                                    horizon_years=s.jobs.backfill_horizon_years,
                                    today=now.date())
        if not needed:
            click.echo("backfill: no patient locations yet; nothing to do")
            return
        if since:
            needed = [(cell, since.date()) for cell, _ in needed]
        summary = run_backfill(
            session, client, needed, now,
            archive_lag_days=s.weather.open_meteo.archive_lag_days,
            batch_size=s.weather.open_meteo.batch_size,
        )
    _report(summary, "backfill")


@weather.command()
@click.option("--since", type=DATE, default=None, help="First UTC day (default: 30 days ago).")
@pass_state
def gaps(state: State, since) -> None:
    """List the missing hour ranges of every cell in use."""
    from tracker.cells import cells_in_use
    from weather.hours import floor_hour
    from weather.observations import find_gaps

    now = floor_hour(datetime.now(UTC))
    start = datetime.combine(since.date(), time(0), UTC) if since else now - timedelta(days=30)
    with state.transaction() as session:
        cells = cells_in_use(session, state.settings.weather.grid_degrees)
        for cell in cells:
            missing = find_gaps(session, cell.id, start, now)
            hours = sum(int((b - a).total_seconds() // 3600) for a, b in missing)
            click.echo(f"cell {cell.id} ({cell.latitude:.4f}, {cell.longitude:.4f}): "
                       f"{hours} missing hour(s) in {len(missing)} range(s)")
            for a, b in missing[:20]:
                click.echo(f"  {a.isoformat()} .. {b.isoformat()}")
        if not cells:
            click.echo("no cells in use")


@weather.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--lat", type=float, required=True, help="Latitude of the barometer (deg N).")
@click.option("--lon", type=float, required=True, help="Longitude of the barometer (deg E).")
@click.option("--unit", type=click.Choice(["hPa", "inHg", "mmHg", "kPa"]), default=None,
              help="Unit of a 'pressure' column when the file has no 'unit' column.")
@click.option("--timezone", default="UTC", show_default=True, callback=iana_timezone,
              help="Timezone of times written without an offset.")
@pass_state
def import_readings(state: State, file: str, lat: float, lon: float, unit, timezone) -> None:
    """Import home barometer / station readings (measured; all-or-nothing)."""
    from weather.grid import get_or_create_cell
    from weather.observations import upsert_observations
    from weather.station_csv import StationCSVError, parse_station_csv

    try:
        series = parse_station_csv(Path(file).read_text(encoding="utf-8-sig"), unit, timezone)
        with state.transaction() as session:
            cell = get_or_create_cell(session, lat, lon, state.settings.weather.grid_degrees)
            rows = upsert_observations(
                session, cell.id, series.hours_utc, series.surface_pressure_hpa,
                series.msl_hpa, "measured", datetime.now(UTC),
            )
    except (StationCSVError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"imported {series.readings} reading(s) onto {len(series)} hour(s) of cell "
               f"{cell.id}; {rows} row(s) written")


@weather.command()
@click.option("--lat", type=float, required=True)
@click.option("--lon", type=float, required=True)
@click.option("--from", "start", type=DATE, required=True, help="First UTC day.")
@click.option("--to", "end", type=DATE, required=True, help="Last UTC day (inclusive).")
@click.option("--output", "-o", default=None, help="File to write (default: standard output).")
@pass_state
def export(state: State, lat: float, lon: float, start, end, output) -> None:
    """Export a cell's hourly pressure: observed_at, surface_pressure_hpa, msl_hpa, source."""
    from tracker.csvfmt import write_csv
    from weather.grid import find_cell_id
    from weather.observations import iter_export_rows

    columns = ("observed_at", "surface_pressure_hpa", "msl_hpa", "source")
    first = datetime.combine(start.date(), time(0), UTC)
    last = datetime.combine(end.date() + timedelta(days=1), time(0), UTC)
    with state.transaction() as session:
        try:
            cell_id = find_cell_id(session, lat, lon, state.settings.weather.grid_degrees)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = list(iter_export_rows(session, cell_id, first, last)) if cell_id else []
    write_output(write_csv(columns, rows), output)


COMMANDS = [weather]
