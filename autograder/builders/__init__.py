"""What the kit builds from ``solution/``: student stubs, the handout, the Gradescope zip, the nbgrader course."""
