"""The programs under test are plain files of the npm package (lib/**/*.py), not a Python package."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for folder in ("lib/access", "test/python"):
    if str(ROOT / folder) not in sys.path:
        sys.path.insert(0, str(ROOT / folder))
