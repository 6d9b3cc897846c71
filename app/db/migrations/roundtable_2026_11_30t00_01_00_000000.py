from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T00:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One person per role per meeting; one away day per person per date; one open swap per turn"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roundtable", description=DESCRIPTION
    )

    async def unique_pairs():
        engine = engine_finder()
        for name, table, columns in (
            ("rt_facilitation_turn_meeting_role", "rt_facilitation_turn", '"meeting", "role"'),
            ("rt_unavailability_user_day", "rt_unavailability", '"user", "day"'),
        ):
            await engine.run_ddl(f"CREATE UNIQUE INDEX {name} ON {table} ({columns})")
        # One open request per turn: asking twice, or from two tabs, asks once.
        await engine.run_ddl(
            'CREATE UNIQUE INDEX rt_swap_request_open ON rt_swap_request ("meeting", "role") '
            "WHERE status = 'open'"
        )

    manager.add_raw(unique_pairs)
    return manager
