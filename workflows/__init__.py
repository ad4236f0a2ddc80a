"""The link workflow: state machine, models, rules and the service layer."""
