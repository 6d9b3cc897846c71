from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T00:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Action learning set lifecycle: status, closing review, end, and the review prompt"


def _params(**own: object) -> dict[str, object]:
    return {
        **own,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roundtable", description=DESCRIPTION
    )

    def add(name: str, column_class: type, params: dict[str, object]) -> None:
        manager.add_column(
            table_class_name="Group",
            tablename="rt_group",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )

    add("status", Varchar, _params(length=12, default="active", null=False))
    add("closing_review_at", Timestamptz, _params(default=None, null=True))
    add("closing_review_note", Text, _params(default="", null=False))
    add("ended_at", Timestamptz, _params(default=None, null=True))
    add("closing_prompted_at", Timestamptz, _params(default=None, null=True))

    return manager
