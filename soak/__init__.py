"""The fault soak (`make soak`): the whole suite against the sandbox stand-ins for minutes while faults
are injected, then checks that nothing was lost, doubled or left unanswered."""
