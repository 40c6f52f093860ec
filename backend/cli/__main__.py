"""`python -m backend.cli`: the same as the `ciqa` console script."""

from backend.cli.main import main

main()
