"""Class operations: a whole class graded, sharded, merged, put in gradebooks and exported to an LMS."""
