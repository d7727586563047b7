"""Durable jobs in lanes: one table, one retry policy, workers that step with run_once()."""

from .errors import JobError, PermanentJobError
from .queue import enqueue, enqueue_many
from .registry import job_handler
from .worker import JobContext, Worker

__all__ = ["JobContext", "JobError", "PermanentJobError", "Worker", "enqueue", "enqueue_many", "job_handler"]
