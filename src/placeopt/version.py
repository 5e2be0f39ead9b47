"""placeopt's version, as installed (results record it in their provenance)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("placeopt")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
