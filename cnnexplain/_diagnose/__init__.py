"""A hand count against a breakdown.

The search for the cheapest explanation of every step, findings, slips and shape mistakes.
"""
