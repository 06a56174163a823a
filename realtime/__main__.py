"""`python -m realtime` is the `realtime-digits` command."""

import sys

from realtime.cli import main

sys.exit(main())
