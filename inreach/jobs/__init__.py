"""Background work, in one place: the task queue (Huey), the worker command, the schedules and
what the queue reports about itself.

- The queue is SQLite in ``instance/queue.sqlite`` by default (nothing to install) and Redis
  when ``INREACH_REDIS_URL`` is set, so web servers and workers on several hosts share it.
- An area declares its tasks with ``@task(...)`` from here; each runs inside the app (its own
  database session) in a worker started by ``flask --app inreach worker``.
- Tests run tasks at once, in the caller (``QUEUE_IMMEDIATE``), except the tests that start a
  real worker.
- Every task is safe to run twice and logs ids only.
"""
