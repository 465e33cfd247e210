"""One module per subcommand; ``learnd.main`` only parses and dispatches."""
