"""The programs under test are plain files of the npm package (lib/**/*.py), not a Python package."""
import sys
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parents[2]
for folder in ("lib/access", "test/python"):
    if str(ROOT / folder) not in sys.path:
        sys.path.insert(0, str(ROOT / folder))

# No example database in the work tree: a failure prints the example that reproduces it.
settings.register_profile("project", database=None)
settings.load_profile("project")
