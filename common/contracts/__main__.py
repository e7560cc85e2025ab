"""``python -m common.contracts``: docs/events.md, with each event's consumers found in
the services' ``@event_handler`` declarations."""
from common.contracts import render_markdown
from common.nameko.topology import consumers_by_contract

print(render_markdown(consumers_by_contract()), end="")
