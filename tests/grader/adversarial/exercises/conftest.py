"""Exercise folders and submissions are data for the grader, not tests to collect."""

collect_ignore_glob = ["*"]
