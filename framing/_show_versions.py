"""``framing.show_versions()``: the versions to paste into a bug report."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

__all__ = ["show_versions"]

_PACKAGES = (
    "framing",
    "scikit-learn",
    "numpy",
    "scipy",
    "joblib",
    "nltk",
    "threadpoolctl",
    "dask",
    "distributed",
    "pandas",
)


def show_versions() -> dict[str, str]:
    """Print, and return, the versions of Python, framing and its dependencies.

    Returns
    -------
    dict of str to str
        Package name to version (``"not installed"`` for optional packages that are absent).
    """
    found = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    if found["framing"] == "not installed":
        from framing._version import __version__

        found["framing"] = f"{__version__} (not installed: imported from a checkout)"
    width = max(len(k) for k in found)
    for key, value in found.items():
        print(f"{key:>{width}}: {value}")
    return found
