// The Confluence module; see README.md for its job.
