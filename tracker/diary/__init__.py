"""The diary: attacks, check-ins, courses, locations, their field rules and import formats."""
