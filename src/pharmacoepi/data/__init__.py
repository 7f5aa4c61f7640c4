"""The input data contract: locating, reading, typing and screening the claims tables."""
