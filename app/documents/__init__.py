"""Documents the agency uploads, chunked and indexed for retrieval (text and vectors)."""
