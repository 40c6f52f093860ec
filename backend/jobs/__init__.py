"""Jobs as the flows and the worker share them: the Celery app, enqueue after commit, one attempt's run, the sweeper."""
