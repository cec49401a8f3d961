"""`python -m desktop` and the frozen app's entry point."""

import multiprocessing

from desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # dbt's multiprocessing would otherwise re-launch a frozen app
    raise SystemExit(main())
