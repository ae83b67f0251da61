"""The command line: one module per command. The only place errors become exit codes."""
