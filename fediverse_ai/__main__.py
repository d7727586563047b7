"""`python -m fediverse_ai` is the `fediverse-ai` command."""

import sys

from .cli import main

sys.exit(main())
