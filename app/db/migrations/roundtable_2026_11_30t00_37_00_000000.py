from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T00:37:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Forum: one report, acknowledgement and read marker per person; full-text search"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="roundtable", description=DESCRIPTION
    )

    async def indexes():
        engine = engine_finder()
        # One of each per person and post (or thread): the services insert with
        # ON CONFLICT, so a double click or two tabs can't count twice.
        await engine.run_ddl(
            "CREATE UNIQUE INDEX rt_forum_report_post_reporter "
            'ON rt_forum_report ("post", "reporter")'
        )
        await engine.run_ddl(
            'CREATE UNIQUE INDEX rt_forum_ack_post_user ON rt_forum_ack ("post", "user")'
        )
        await engine.run_ddl(
            'CREATE UNIQUE INDEX rt_forum_read_thread_user ON rt_forum_read ("thread", "user")'
        )
        # A thread's posts are read in id order; a group's threads by latest activity.
        await engine.run_ddl(
            'CREATE INDEX rt_forum_thread_group_last ON rt_forum_thread ("group", last_post_at)'
        )
        if isinstance(engine, PostgresEngine):
            # Search within a group's threads; the expression matches the one the
            # search query uses, so the planner can use this index.
            await engine.run_ddl(
                "CREATE INDEX rt_forum_post_body_fts ON rt_forum_post "
                "USING GIN (to_tsvector('english', body))"
            )

    manager.add_raw(indexes)
    return manager
