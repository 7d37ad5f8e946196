"""`python -m runtime` runs the `runtime-api` command."""

import sys

from runtime.cli import main

sys.exit(main())
