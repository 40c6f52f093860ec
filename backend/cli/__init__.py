"""The `ciqa` command line: argument parsing in main.py, terminal presentation per command group."""
