"""The HTTP API of SPEC section 7: FastAPI routes over the service layer."""
