"""`make bench`: the platform measured against floors taken in the same run."""
