"""pressure clustered by (cell, hour) on SQLite; an index on (cell, fetched_at); Open-Meteo per cell

Revision ID: a7d2c4e9b813
Revises: c84c97e5ab45
Create Date: 2026-12-06 13:40:00

SQLite keeps a table with a composite primary key as a rowid table plus a separate index, so
reading a cell's two years walked the index and then looked every row up in the table: the
rebuilt table is WITHOUT ROWID (its primary key is the storage order, one B-tree walk per
range). PostgreSQL is unchanged there. The index on (cell_id, fetched_at) lets "has pressure
arrived since this report was computed?" read only today's arrivals instead of every hour.
grid_cells.open_meteo_at (when Open-Meteo data was first stored for the cell) answers "is
the credit due?" without scanning a cell's hours; it is filled here from the stored rows.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import weather.sqltypes

revision: str = 'a7d2c4e9b813'
down_revision: str | None = 'c84c97e5ab45'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = 'ix_pressure_observations_cell_id_fetched_at'


def _table(with_rowid: bool) -> sa.Table:
    """The table as the models declare it (batch mode copies from this, not a reflection)."""
    return sa.Table(
        'pressure_observations', sa.MetaData(),
        sa.Column('cell_id', sa.Integer(), nullable=False),
        sa.Column('observed_at', weather.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column('surface_pressure_hpa', sa.Float(), nullable=True),
        sa.Column('msl_hpa', sa.Float(), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('source_rank', sa.SmallInteger(), nullable=False),
        sa.Column('fetched_at', weather.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('measured', 'simulated', 'archive', 'forecast')",
                           name='ck_pressure_observations_source'),
        sa.ForeignKeyConstraint(['cell_id'], ['grid_cells.id'],
                                name='fk_pressure_observations_cell_id_grid_cells',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('cell_id', 'observed_at', name='pk_pressure_observations'),
        sqlite_with_rowid=with_rowid,
    )


def _rebuild(with_rowid: bool) -> None:
    with op.batch_alter_table('pressure_observations', recreate='always',
                              copy_from=_table(with_rowid),
                              table_kwargs={'sqlite_with_rowid': with_rowid}):
        pass


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild(with_rowid=False)
    op.create_index(INDEX, 'pressure_observations', ['cell_id', 'fetched_at'])
    op.add_column('grid_cells', sa.Column(
        'open_meteo_at', weather.sqltypes.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE grid_cells SET open_meteo_at = (SELECT min(p.fetched_at) FROM"
        " pressure_observations p WHERE p.cell_id = grid_cells.id"
        " AND p.source IN ('archive', 'forecast'))")


def downgrade() -> None:
    with op.batch_alter_table('grid_cells') as batch_op:
        batch_op.drop_column('open_meteo_at')
    op.drop_index(INDEX, table_name='pressure_observations')
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild(with_rowid=True)
