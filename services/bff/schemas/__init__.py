"""Marshmallow schemas of the HTTP API: request bodies, query strings, answers.

Bodies and query strings are strict (unknown fields are refused). Answers are dumped
through their schema, so a field a service adds is not exposed until it is declared
here (and documented in OpenAPI, which is generated from these same classes).
"""
