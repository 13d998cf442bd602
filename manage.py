#!/usr/bin/env python
from govqms.cli import main

if __name__ == "__main__":
    main()
