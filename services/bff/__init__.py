"""The BFF: the HTTP API brand consoles, partner portals and brands' servers talk to.

It owns no business data. It authenticates, authorizes per object, validates, fans out
to the services by RPC (with timeouts) and shapes their answers for each audience.
"""
