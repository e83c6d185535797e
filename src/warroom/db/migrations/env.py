from alembic import context
from sqlalchemy import pool

from warroom.db.models import Base
from warroom.db.session import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url is not None

engine = make_engine(url, poolclass=pool.NullPool, foreign_keys=False)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
