"""Hidden tests: never shipped to students; run by the autograder against the sandboxed submission."""
