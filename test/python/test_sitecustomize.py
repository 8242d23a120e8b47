"""lib/proxy/sitecustomize.py, loaded the way the proxy's pods load it: its folder first on PYTHONPATH,
imported by the interpreter at start-up, before gunicorn configures its loggers."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "lib" / "proxy" / "sitecustomize.py"

# What gunicorn's master logs when it reaps workers (gunicorn/arbiter.py reap_workers), through its own logger.
PROGRAM = """
import logging, sys
logging.basicConfig(stream=sys.stdout, format="%(levelname)s %(message)s", level=logging.DEBUG)
log = logging.getLogger("gunicorn.error")
log.error("Worker (pid:%s) was sent SIGTERM!", 41)
log.error("Worker (pid:%s) was sent SIGKILL! Perhaps out of memory?", 42)
log.error("Worker (pid:%s) was sent code %s!", 43, 134)
log.error("Error while closing socket [Errno 9] Bad file descriptor")
logging.getLogger("other").error("Worker (pid:44) was sent SIGTERM!")
"""


def run(*path: Path) -> list[str]:
    env = {"PYTHONPATH": ":".join(str(p) for p in path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.splitlines()


@pytest.fixture
def mounted(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copy(MODULE, folder / "sitecustomize.py")
    return folder


def test_a_graceful_stop_is_info_and_every_other_reap_stays_error(mounted: Path) -> None:
    assert run(mounted) == [
        "INFO Worker (pid:41) was sent SIGTERM!",
        "ERROR Worker (pid:42) was sent SIGKILL! Perhaps out of memory?",
        "ERROR Worker (pid:43) was sent code 134!",
        "ERROR Error while closing socket [Errno 9] Bad file descriptor",
        "ERROR Worker (pid:44) was sent SIGTERM!",
    ]


def test_without_it_gunicorn_reports_the_graceful_stop_at_error(tmp_path: Path) -> None:
    # The behaviour the module exists for: this test fails if gunicorn's message or level ever changes shape here.
    assert run(tmp_path)[0] == "ERROR Worker (pid:41) was sent SIGTERM!"


def test_the_image_own_sitecustomize_still_runs(mounted: Path, tmp_path: Path) -> None:
    image = tmp_path / "image"
    image.mkdir()
    (image / "sitecustomize.py").write_text('print("image sitecustomize ran")\n')
    lines = run(mounted, image)
    assert lines[0] == "image sitecustomize ran"
    assert lines[1] == "INFO Worker (pid:41) was sent SIGTERM!"
