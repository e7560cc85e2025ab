"""The one bridge between the framework-free seedwork and Nameko.

Importing this package registers every seedwork error class -- and, through the
contracts, every service's shared error class (``BudgetExhausted``...) -- with Nameko,
so an RPC caller gets the same typed exception the service raised (see ``errors``).
"""
import common.contracts as _contracts  # noqa: F401  (defines the shared error classes)
from common.nameko import errors as _errors  # noqa: F401  (registration side effect)
from common.nameko import queues as _queues

_queues.install_redaction()  # every password of a `;`-separated AMQP_URI hidden in logs
