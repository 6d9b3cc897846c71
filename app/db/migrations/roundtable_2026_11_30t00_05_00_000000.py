from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T00:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One email preference per person and kind; a claim index on due reminders"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roundtable", description=DESCRIPTION
    )

    async def indexes():
        engine = engine_finder()
        await engine.run_ddl(
            "CREATE UNIQUE INDEX rt_reminder_preference_user_kind "
            'ON rt_reminder_preference ("user", "kind")'
        )
        # The dispatcher's claim scans only pending rows, in due order.
        await engine.run_ddl(
            "CREATE INDEX rt_reminder_pending_due ON rt_reminder (due_at) "
            "WHERE status = 'pending'"
        )

    manager.add_raw(indexes)
    return manager
