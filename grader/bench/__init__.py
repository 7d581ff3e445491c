"""Benchmarks behind ``academy bench``: each measures ``otp`` (or the grader) side by side with a
floor and a competitor in the same run, and says whether the project's targets are met.

Benchmarks are commands, not timed tests: a test only checks that they run and what they print.
"""
