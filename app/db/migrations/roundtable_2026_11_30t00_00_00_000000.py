from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One RSVP, attendance and theme tag per person or theme per meeting; one prompt per number"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roundtable", description=DESCRIPTION
    )

    async def unique_pairs():
        # Piccolo has no composite unique constraint; both engines accept these indexes.
        engine = engine_finder()
        for name, table, columns in (
            ("rt_rsvp_meeting_user", "rt_rsvp", '"meeting", "user"'),
            ("rt_attendance_meeting_user", "rt_attendance", '"meeting", "user"'),
            ("rt_meeting_theme_pair", "rt_meeting_theme", '"meeting", "theme"'),
            ("rt_prompt_bank_number", "rt_prompt", '"bank", "number"'),
        ):
            await engine.run_ddl(f"CREATE UNIQUE INDEX {name} ON {table} ({columns})")

    manager.add_raw(unique_pairs)
    return manager
