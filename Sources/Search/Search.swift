// The Search module; see README.md for its job.
