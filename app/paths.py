"""Where templates and static files are, in a checkout and in an installed wheel."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _first_existing(name: str) -> Path:
    # A wheel carries them inside the package; a checkout keeps them beside it.
    for candidate in (_PACKAGE / name, _CHECKOUT / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"Roundtable's {name}/ folder is missing from {_PACKAGE}")


TEMPLATES = _first_existing("templates")
STATIC = _first_existing("static")
