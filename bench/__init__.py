"""`make bench`: our numbers beside a baseline measured in the same run on the same machine."""
