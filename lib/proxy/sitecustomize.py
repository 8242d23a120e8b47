# Shipped by cdk8s-litellm (mounted next to config.yaml; lib/proxy/gunicorn-log.ts puts its folder on
# PYTHONPATH). Python imports it at start-up, before gunicorn. gunicorn's master logs a worker it stopped
# gracefully ("Worker (pid:N) was sent SIGTERM!") at ERROR (gunicorn/arbiter.py reap_workers), once per
# worker on every rollout; this reports that one message at INFO. Nothing else changes.
import importlib.machinery
import importlib.util
import logging
import os
import sys


class GracefulStopIsInfo(logging.Filter):
    """Lowers gunicorn's "was sent SIGTERM!" to INFO; any other signal or message keeps its level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and record.name == "gunicorn.error":
            message = record.getMessage()
            if message.startswith("Worker (pid:") and message.endswith(") was sent SIGTERM!"):
                record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _run_shadowed() -> None:
    """Runs the image's own sitecustomize, if it has one: this module must not hide it."""
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


logging.getLogger("gunicorn.error").addFilter(GracefulStopIsInfo())
_run_shadowed()
