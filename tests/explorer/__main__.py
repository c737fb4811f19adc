import sys

from tests.explorer.explore import main

sys.exit(main())
