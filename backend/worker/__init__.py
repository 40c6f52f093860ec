"""Background jobs on Celery: the app from Settings, thin tasks, the job runner and enqueueing."""
