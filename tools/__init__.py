"""Operational tools: what operators, developers, tests and the benchmark run *around*
the platform, never inside a service.

``common/nameko`` holds what a running service needs (imported by ``nameko run``); this
package holds the ``alpes`` command line (``tools.cli``), the process runner behind
``alpes run`` (``tools.stack``) and the queue-drain helper of the benchmark and the
reliability suite (``tools.backlog``). Dependencies point one way: tools import
``common`` and ``services``; nothing under ``common`` or ``services`` imports tools.
"""
