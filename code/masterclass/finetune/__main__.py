"""``python -m masterclass.finetune`` : lance la ligne de commande de :mod:`masterclass.finetune.cli`."""

from masterclass.finetune.cli import main

raise SystemExit(main())
