"""softmax imports torch under a name built at run time (invisible to the static check): the import guard in the
worker refuses it, so softmax fails with the 'banned' message. torch IS installed in the grader's venv."""
import importlib

EXPECT = {"failed": {"softmax": "banned"}, "passed": ["relu_grad", "sgd_step"], "status": "graded"}


def softmax(logits):
    torch = importlib.import_module("to" + "rch")
    t = torch.from_numpy(logits)
    return torch.softmax(t, dim=1).numpy()
