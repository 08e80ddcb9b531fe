"""Code that runs INSIDE the sandbox, next to the student's module: the wire protocol and the request server.

Nothing here may import the grader's modules: the sandbox sees only this package, the kit's training loop,
the data reader, the submission and MNIST.
"""
