"""`python -m dalgo` and the frozen app's entry point."""

import multiprocessing

from dalgo.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # dbt's multiprocessing would otherwise re-launch a frozen app
    raise SystemExit(main())
