"""`python -m placeopt ...`: the command line, as the page's worker processes start it."""

from .cli import main

main(prog_name="placeopt")
