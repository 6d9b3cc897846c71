import os

# Piccolo finds its engine through this module name; the migration runner and the
# `piccolo` CLI both rely on it, inside a checkout or an installed wheel.
os.environ.setdefault("PICCOLO_CONF", "app.db.piccolo_conf")
