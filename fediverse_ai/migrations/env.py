"""Alembic environment: always runs on a connection handed over by fediverse_ai.schema.

The product's async engine opens the connection and passes it in config.attributes, so the
same SQLite pragmas and PostgreSQL settings apply to migrations as to everything else.
"""

from alembic import context

from fediverse_ai.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `fediverse-ai migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
