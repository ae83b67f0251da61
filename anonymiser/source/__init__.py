"""The source database: connection, schema introspection, chunked reading into Arrow."""
