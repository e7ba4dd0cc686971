"""Envelope: how a failure becomes the response a client parses.

``resolution`` maps an exception (or a bare status) to a code; ``language`` picks the
client's language; ``text`` fills placeholders without evaluating them; ``formatters``
shape the body; ``response`` puts them together into an ``ErrorResponse``.
"""
