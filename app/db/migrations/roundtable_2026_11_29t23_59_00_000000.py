from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T23:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One membership per person per group; one pending join request"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roundtable", description=DESCRIPTION
    )

    async def unique_pairs():
        # Piccolo has no composite unique constraint; both engines accept these indexes.
        engine = engine_finder()
        await engine.run_ddl(
            'CREATE UNIQUE INDEX rt_membership_group_user ON rt_membership ("group", "user")'
        )
        await engine.run_ddl(
            'CREATE UNIQUE INDEX rt_join_request_pending ON rt_join_request ("group", "user") '
            "WHERE status = 'pending'"
        )

    manager.add_raw(unique_pairs)
    return manager
