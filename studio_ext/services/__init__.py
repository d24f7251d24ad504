"""Business logic per resource. No tornado or jupyter_server here: the agent, CLI tests and the
server extension all reuse these classes."""
