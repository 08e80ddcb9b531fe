"""The handout as given (assignment/mlp.py), with training: 0 points, every function 'not implemented'."""
BUILD = "stubs"
TRAINING = True
EXPECT = {"score": 0,
          "failed": {"relu_grad": "relu_grad is not implemented", "softmax": "softmax is not implemented",
                     "cross_entropy": "not implemented", "backward": "not implemented",
                     "sgd_step": "sgd_step is not implemented", "training": "not implemented"},
          "status": "not attempted"}
