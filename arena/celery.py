"""The Celery app: ``celery -A arena worker`` finds it here."""

import os

# Before numpy is loaded anywhere: the rating fits are many small (M x M) solves and
# the bootstraps run their own threads, so OpenBLAS's threads only spin-wait on a busy
# host (the style-controlled recompute ran 3x slower with them). Set it to override.
for _blas_threads in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

from celery import Celery  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")

app = Celery("arena")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
