"""Piccolo's configuration module (PICCOLO_CONF=app.db.piccolo_conf).

Lives inside the package so that both an installed Roundtable and the piccolo CLI find
it. The engine comes from DATABASE_URL, exactly as the app picks it.
"""

import os

from piccolo.conf.apps import AppRegistry

from app.config import VARIABLES
from app.db.engine import engine_for

DB = engine_for(os.environ.get("DATABASE_URL", VARIABLES["DATABASE_URL"][0]).strip())

APP_REGISTRY = AppRegistry(apps=["app.db.piccolo_app"])
