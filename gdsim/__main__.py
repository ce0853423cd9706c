from gdsim.cli.parser import main

raise SystemExit(main())
