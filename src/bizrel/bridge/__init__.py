"""The bridge: the only package that knows both customer management and sales management.

It hands won deals over to customer success and feeds customer signals back to sales.
"""

__all__: list[str] = []
