import sys

from chaingrad.cli.main import main

sys.exit(main())
