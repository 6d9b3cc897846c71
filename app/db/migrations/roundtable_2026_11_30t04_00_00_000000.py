from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Insights: indexes for aggregating meetings by period and group"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roundtable", description=DESCRIPTION
    )

    async def indexes():
        engine = engine_finder()
        # Every insights query starts from the meetings in a period; carrying the group,
        # status and whether attendance was recorded lets it stay inside the index.
        await engine.run_ddl(
            "CREATE INDEX rt_meeting_period ON rt_meeting "
            '(starts_at, "group", status, attendance_recorded)'
        )
        # A convenor's view is one group's meetings in a period.
        await engine.run_ddl(
            'CREATE INDEX rt_meeting_group_starts ON rt_meeting ("group", starts_at)'
        )
        # Turns led and first turns per member, without visiting the table.
        await engine.run_ddl(
            "CREATE INDEX rt_facilitation_turn_meeting_member "
            "ON rt_facilitation_turn (meeting, role, member)"
        )

    manager.add_raw(indexes)
    return manager
