"""`python -m tests.jobs.worker_main worker --lane system`: the real `fediverse-ai` command,
in its own process, knowing the test job kinds too."""

import sys

from fediverse_ai.cli import main
from tests.jobs import handlers  # noqa: F401  (registers the test job kinds)

sys.exit(main(sys.argv[1:]))
