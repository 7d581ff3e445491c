"""Tests of the grader service (a package so test module names may repeat elsewhere)."""
