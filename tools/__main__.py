"""``python -m tools`` is ``alpes`` (for a checkout whose console script is not installed)."""
from tools.cli import main

main()
