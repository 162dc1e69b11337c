"""The turn parsers: the offline rule parser and the LLM parser, both reading a message into a ParsedTurn."""
