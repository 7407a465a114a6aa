"""User import jobs: the jobs, their uploaded CSV files and each line's outcome.

Revision ID: 0009
Revises: 0008

Self-contained like the others (no import of ``userpools.storage.schema``); only new tables, so no batch mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
Micros = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", Id, nullable=False),
        sa.Column("pool_id", Id, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("role_arn", sa.Text(), nullable=False),
        sa.Column("password_hashing", sa.Text(), nullable=True),
        sa.Column("created_at", Micros, nullable=False),
        sa.Column("started_at", Micros, nullable=True),
        sa.Column("completed_at", Micros, nullable=True),
        sa.Column("imported", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("progress_line", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("heartbeat_at", Micros, nullable=True),
        sa.Column("uploaded_at", Micros, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_jobs"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_import_jobs_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_import_jobs_pool_id_created_at_id", "import_jobs", ["pool_id", "created_at", "id"])
    op.create_index("ix_import_jobs_status", "import_jobs", ["status"])
    op.create_table(
        "import_job_files",
        sa.Column("job_id", Id, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name="pk_import_job_files"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name="fk_import_job_files_job_id_import_jobs", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "import_job_log",
        sa.Column("job_id", Id, nullable=False),
        sa.Column("line", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "line", name="pk_import_job_log"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name="fk_import_job_log_job_id_import_jobs", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("import_job_log")
    op.drop_table("import_job_files")
    op.drop_index("ix_import_jobs_status", table_name="import_jobs")
    op.drop_index("ix_import_jobs_pool_id_created_at_id", table_name="import_jobs")
    op.drop_table("import_jobs")
