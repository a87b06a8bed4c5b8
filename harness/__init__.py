"""Code shared by the template's tests, its demo and its benchmark.

It bakes the template, builds the environment a generated project runs in, and
runs commands inside a generated project, the same way in all three places.
"""
