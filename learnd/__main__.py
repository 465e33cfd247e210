from learnd.main import main

raise SystemExit(main())
