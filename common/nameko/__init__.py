"""The one bridge between the framework-free seedwork and Nameko.

Importing this package registers every seedwork error class with Nameko so that an RPC
caller gets the same typed exception the service raised (see ``errors``).
"""
from common.nameko import errors as _errors  # noqa: F401  (registration side effect)
