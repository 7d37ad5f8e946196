"""event partitions

Events get `created_day` (the UTC day of `created_at`), and an event id becomes unique within
its day, as in the reference. On PostgreSQL `events` becomes a table partitioned by range of
`created_day`, one partition a day (created on demand by the store) plus a default partition,
so old days can be detached or dropped cheaply.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    "nid, id, created_at, event_type, event_source, aggregate_id, aggregate_type, version, "
    "data, metadata"
)
_TABLE = """
    nid BIGINT NOT NULL DEFAULT nextval('events_nid_seq'),
    id VARCHAR(255) NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    created_day DATE NOT NULL,
    event_type VARCHAR(255) NOT NULL,
    event_source VARCHAR(255) NOT NULL,
    aggregate_id VARCHAR(255) NOT NULL,
    aggregate_type VARCHAR(255) NOT NULL,
    version INTEGER NOT NULL,
    data JSONB NOT NULL,
    metadata JSONB NOT NULL,
    CONSTRAINT pk_events PRIMARY KEY (nid, created_day),
    CONSTRAINT uq_events_id UNIQUE (id, event_type, event_source, created_day)
"""
_INDEXES = (
    "CREATE INDEX ix_events_aggregate_time ON events (aggregate_type, aggregate_id, created_at)",
    "CREATE INDEX ix_events_source_time ON events (event_type, event_source, created_at)",
    "CREATE INDEX ix_events_type_time ON events (event_type, created_at)",
)
_OLD_NAMES = ("ix_events_aggregate_time", "ix_events_source_time", "ix_events_type_time")


def _day_partition(day: date) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS events_p_{day:%Y%m%d} PARTITION OF events "
        f"FOR VALUES FROM ('{day.isoformat()}') TO ('{(day + timedelta(days=1)).isoformat()}')"
    )


def _set_aside(table: str) -> None:
    """Rename `events` and its constraints, indexes and sequence ownership out of the way."""
    op.execute(f"ALTER TABLE events RENAME TO {table}")
    op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT pk_events TO pk_{table}")
    op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT uq_events_id TO uq_{table}")
    for name in _OLD_NAMES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_{table}")
    op.execute("ALTER SEQUENCE events_nid_seq OWNED BY NONE")


def _sqlite_upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_day", sa.Date(), nullable=True))
    op.execute("UPDATE events SET created_day = date(created_at)")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("created_day", existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint("uq_events_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_events_id", ["id", "event_type", "event_source", "created_day"]
        )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        _sqlite_upgrade()
        return
    _set_aside("events_unpartitioned")
    op.execute(f"CREATE TABLE events ({_TABLE}) PARTITION BY RANGE (created_day)")
    op.execute("ALTER SEQUENCE events_nid_seq OWNED BY events.nid")
    op.execute("CREATE TABLE events_default PARTITION OF events DEFAULT")
    today = datetime.now(UTC).date()
    days = {today + timedelta(days=n) for n in (-1, 0, 1)}
    found = bind.execute(sa.text("SELECT DISTINCT created_at::date FROM events_unpartitioned"))
    days |= {row[0] for row in found}
    for day in sorted(days):
        op.execute(_day_partition(day))
    op.execute(
        f"INSERT INTO events ({_COLUMNS}, created_day) "  # noqa: S608 - constant names only
        f"SELECT {_COLUMNS}, created_at::date FROM events_unpartitioned"
    )
    op.execute("DROP TABLE events_unpartitioned")
    for statement in _INDEXES:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("events", schema=None) as batch_op:
            batch_op.drop_constraint("uq_events_id", type_="unique")
            batch_op.create_unique_constraint("uq_events_id", ["id", "event_type", "event_source"])
            batch_op.drop_column("created_day")
        return
    _set_aside("events_partitioned")
    plain = _TABLE.replace("    created_day DATE NOT NULL,\n", "")
    plain = plain.replace("(nid, created_day)", "(nid)").replace(", created_day)", ")")
    op.execute(f"CREATE TABLE events ({plain})")
    op.execute("ALTER SEQUENCE events_nid_seq OWNED BY events.nid")
    op.execute(f"INSERT INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM events_partitioned")  # noqa: S608
    op.execute("DROP TABLE events_partitioned")
    for statement in _INDEXES:
        op.execute(statement)
